/**
 * Configuration of the ingest function, read from the environment once per container and
 * validated at cold start, so a missing secret fails the deployment's first start instead of
 * the first webhook.
 *
 * Environment variables:
 * - `WEBHOOK_PROVIDERS`: comma-separated providers to accept, from legacy, standard, stripe,
 *   github, razorpay, shopify, phonepe. Default `legacy`. A request for any other provider gets 404.
 * - `WEBHOOK_SECRETS_<PROVIDER>` (for example `WEBHOOK_SECRETS_LEGACY`, `WEBHOOK_SECRETS_STRIPE`):
 *   comma-separated secrets of an enabled provider; required for each enabled provider. A request
 *   verifies if any listed secret matches, so a secret is rotated by listing the new one next to
 *   the old one, switching the sender, then removing the old one. Secrets cannot contain commas.
 *   Standard Webhooks secrets are `whsec_<base64>`. PhonePe takes salt keys with their salt
 *   index: `1:<salt key>,2:<salt key>`.
 * - `<NAME>_SSM_PARAMETER`: the name of an SSM SecureString whose value becomes `<NAME>` before
 *   this module reads it (see lib/secrets.ts), for example `WEBHOOK_SECRETS_STRIPE_SSM_PARAMETER`.
 * - `WEBHOOK_TOLERANCE_SECONDS`: largest accepted difference, in seconds and in either direction,
 *   between a signed timestamp (standard, stripe) and the server clock. Default 300, range 1 to 86400.
 * - `WEBHOOK_MAX_BODY_BYTES`: largest accepted body in bytes, after base64 decoding; larger
 *   bodies get 413. Default 262144 (256 KiB), range 1024 to 6291456 (the Lambda request payload limit).
 * - `LEGACY_DEFAULT_CURRENCY`: ISO 4217 currency of legacy events without a `currency` field. Default INR.
 * - `WEBHOOK_RETRY_AFTER_SECONDS`: the Retry-After value, in seconds, of the 503 response sent
 *   when Kafka did not acknowledge in time. Default 5, range 1 to 3600.
 * - Kafka: `KAFKA_BROKERS`, `PAYMENT_EVENTS_TOPIC` (default payment-events) and
 *   `KAFKA_PRODUCE_TIMEOUT_MS` (how long a request waits for the acknowledgement before 503,
 *   default 5000), plus the connection settings of lib/config.ts.
 */
import { ConfigError, loadKafkaConfig, readInteger, readList, readString, type KafkaConfig } from '../config.js';
import { PROVIDERS, type Provider } from '../paymentEvent.js';
import { AmountError, normalizeCurrency } from './money.js';
import { PROVIDER_DEFINITIONS, type ProviderDefinition } from './providers/index.js';
import { SCHEMES, type SignatureScheme, type SigningKey } from './schemes/index.js';

type Env = Record<string, string | undefined>;

export interface EnabledProvider {
  definition: ProviderDefinition;
  scheme: SignatureScheme;
  keys: readonly SigningKey[];
}

export interface IngestConfig {
  providers: ReadonlyMap<Provider, EnabledProvider>;
  toleranceSeconds: number;
  maxBodyBytes: number;
  legacyDefaultCurrency: string;
  retryAfterSeconds: number;
  kafka: KafkaConfig;
}

export function secretsVariable(provider: Provider): string {
  return `WEBHOOK_SECRETS_${provider.toUpperCase()}`;
}

/** Reads and validates the configuration; throws ConfigError naming the variable at fault. */
export function loadIngestConfig(env: Env = process.env): IngestConfig {
  const names = readList(env, 'WEBHOOK_PROVIDERS');
  const enabled = names.length > 0 ? names.map((name) => name.toLowerCase()) : ['legacy'];

  const providers = new Map<Provider, EnabledProvider>();
  for (const name of enabled) {
    if (!(PROVIDERS as readonly string[]).includes(name)) {
      throw new ConfigError(`Invalid WEBHOOK_PROVIDERS entry ${JSON.stringify(name)}: expected some of ${PROVIDERS.join(', ')}.`);
    }
    const provider = name as Provider;
    providers.set(provider, loadProvider(env, provider));
  }

  const currency = readString(env, 'LEGACY_DEFAULT_CURRENCY', 'INR');
  let legacyDefaultCurrency: string;
  try {
    legacyDefaultCurrency = normalizeCurrency(currency);
  } catch (error) {
    if (error instanceof AmountError) throw new ConfigError(`Invalid LEGACY_DEFAULT_CURRENCY: the variable ${error.message}.`);
    throw error;
  }

  return {
    providers,
    toleranceSeconds: readInteger(env, 'WEBHOOK_TOLERANCE_SECONDS', 300, 1, 86_400),
    maxBodyBytes: readInteger(env, 'WEBHOOK_MAX_BODY_BYTES', 256 * 1024, 1024, 6 * 1024 * 1024),
    legacyDefaultCurrency,
    retryAfterSeconds: readInteger(env, 'WEBHOOK_RETRY_AFTER_SECONDS', 5, 1, 3600),
    kafka: loadKafkaConfig(env),
  };
}

function loadProvider(env: Env, provider: Provider): EnabledProvider {
  const variable = secretsVariable(provider);
  const secrets = readList(env, variable);
  if (secrets.length === 0) {
    throw new ConfigError(
      `Missing ${variable}: provider ${provider} is enabled in WEBHOOK_PROVIDERS but has no secret. ` +
        `Set ${variable} (or ${variable}_SSM_PARAMETER), or remove ${provider} from WEBHOOK_PROVIDERS.`,
    );
  }

  const scheme = SCHEMES[provider];
  let keys: SigningKey[];
  try {
    keys = scheme.parseSecrets(secrets);
  } catch (error) {
    throw new ConfigError(`Invalid ${variable}: ${(error as Error).message}.`);
  }
  return { definition: PROVIDER_DEFINITIONS[provider], scheme, keys };
}
