/**
 * Loads secrets from AWS SSM Parameter Store into the environment at cold start, before any
 * configuration is read.
 *
 * For every variable `<NAME>_SSM_PARAMETER` with a non-empty value, the SecureString parameter
 * it names is fetched with decryption and its value is written to `<NAME>`, replacing any value
 * already there. For example `WEBHOOK_SECRETS_STRIPE_SSM_PARAMETER=/payment-webhooks/prod/stripe`
 * sets `WEBHOOK_SECRETS_STRIPE`. Names are fetched with GetParameters in batches of 10 (the API
 * maximum), and a name SSM reports as invalid fails the cold start with a ConfigError naming
 * the variable.
 *
 * @aws-sdk/client-ssm is imported only when at least one such variable is set, so local runs
 * never load it. The Lambda nodejs22.x runtime ships the SDK, and the esbuild bundle excludes it.
 */
import { ConfigError } from './config.js';

type Env = Record<string, string | undefined>;

const SUFFIX = '_SSM_PARAMETER';
const BATCH_SIZE = 10;

/** The part of the SSM client this module uses, so unit tests can pass a stand-in. */
export interface ParameterStore {
  getParameters(names: string[]): Promise<{ values: Map<string, string>; invalid: string[] }>;
}

/** Returns the `<NAME>` to parameter-name pairs requested through `<NAME>_SSM_PARAMETER` variables. */
export function requestedParameters(env: Env): Map<string, string> {
  const requested = new Map<string, string>();
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.endsWith(SUFFIX) || variable.length === SUFFIX.length) continue;
    const name = value?.trim();
    if (name === undefined || name === '') continue;
    requested.set(variable.slice(0, -SUFFIX.length), name);
  }
  return requested;
}

/**
 * Fetches every requested parameter and writes the values into `env`. Returns the names of the
 * variables it set (never the values). Does nothing, and loads no SDK, when none is requested.
 */
export async function loadSsmParameters(
  env: Env = process.env,
  createStore: () => Promise<ParameterStore> = createSsmParameterStore,
): Promise<string[]> {
  const requested = requestedParameters(env);
  if (requested.size === 0) return [];

  const store = await createStore();
  const parameterNames = [...new Set(requested.values())];
  const values = new Map<string, string>();
  const invalid: string[] = [];
  for (let start = 0; start < parameterNames.length; start += BATCH_SIZE) {
    const result = await store.getParameters(parameterNames.slice(start, start + BATCH_SIZE));
    for (const [name, value] of result.values) values.set(name, value);
    invalid.push(...result.invalid);
  }

  const set: string[] = [];
  for (const [variable, parameterName] of requested) {
    const value = values.get(parameterName);
    if (value === undefined) {
      const reason = invalid.includes(parameterName) ? 'does not exist or is not readable' : 'was not returned';
      throw new ConfigError(
        `SSM parameter ${parameterName} (from ${variable}${SUFFIX}) ${reason}. Create it as a SecureString or fix ${variable}${SUFFIX}.`,
      );
    }
    env[variable] = value;
    set.push(variable);
  }
  return set;
}

/** Creates a ParameterStore backed by @aws-sdk/client-ssm, imported on first use. */
export async function createSsmParameterStore(): Promise<ParameterStore> {
  const { SSMClient, GetParametersCommand } = await import('@aws-sdk/client-ssm');
  const client = new SSMClient({});
  return {
    async getParameters(names) {
      const output = await client.send(new GetParametersCommand({ Names: names, WithDecryption: true }));
      const values = new Map<string, string>();
      for (const parameter of output.Parameters ?? []) {
        if (parameter.Name !== undefined && parameter.Value !== undefined) values.set(parameter.Name, parameter.Value);
      }
      return { values, invalid: output.InvalidParameters ?? [] };
    },
  };
}
