import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/config.js';
import { loadIngestConfig } from '../../lib/ingest/config.js';
import { loadSsmParameters, requestedParameters, type ParameterStore } from '../../lib/secrets.js';

describe('loadIngestConfig', () => {
  it('enables legacy by default with safe defaults', () => {
    const config = loadIngestConfig({ WEBHOOK_SECRETS_LEGACY: 'a, b' });
    expect([...config.providers.keys()]).toEqual(['legacy']);
    expect(config.providers.get('legacy')?.keys.map((key) => key.key.toString())).toEqual(['a', 'b']);
    expect(config.toleranceSeconds).toBe(300);
    expect(config.maxBodyBytes).toBe(262_144);
    expect(config.legacyDefaultCurrency).toBe('INR');
    expect(config.kafka.paymentEventsTopic).toBe('payment-events');
  });

  it('rejects an enabled provider without secrets, naming the variable', () => {
    expect(() => loadIngestConfig({ WEBHOOK_PROVIDERS: 'legacy,stripe', WEBHOOK_SECRETS_LEGACY: 'a' })).toThrow(ConfigError);
    expect(() => loadIngestConfig({ WEBHOOK_PROVIDERS: 'legacy,stripe', WEBHOOK_SECRETS_LEGACY: 'a' })).toThrow(/WEBHOOK_SECRETS_STRIPE/);
  });

  it('rejects an unknown provider name', () => {
    expect(() => loadIngestConfig({ WEBHOOK_PROVIDERS: 'paypal' })).toThrow(/WEBHOOK_PROVIDERS entry "paypal"/);
  });

  it('rejects PhonePe salt keys without an index, without echoing the key', () => {
    let message = '';
    try {
      loadIngestConfig({ WEBHOOK_PROVIDERS: 'phonepe', WEBHOOK_SECRETS_PHONEPE: 'secret-salt-value' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('WEBHOOK_SECRETS_PHONEPE');
    expect(message).not.toContain('secret-salt-value');
  });

  it('rejects an invalid default currency and tolerance', () => {
    expect(() => loadIngestConfig({ WEBHOOK_SECRETS_LEGACY: 'a', LEGACY_DEFAULT_CURRENCY: 'RUPEE' })).toThrow(/LEGACY_DEFAULT_CURRENCY/);
    expect(() => loadIngestConfig({ WEBHOOK_SECRETS_LEGACY: 'a', WEBHOOK_TOLERANCE_SECONDS: '0' })).toThrow(/WEBHOOK_TOLERANCE_SECONDS/);
  });

  it('default currency error names the variable and the value', () => {
    expect(() => loadIngestConfig({ WEBHOOK_SECRETS_LEGACY: 'a', LEGACY_DEFAULT_CURRENCY: 'RUPEE' })).toThrow(
      'Invalid LEGACY_DEFAULT_CURRENCY: the variable has the unknown currency code "RUPEE"; use an ISO 4217 code such as INR, USD, EUR or JPY.',
    );
  });

  it('reads every provider when all are configured', () => {
    const config = loadIngestConfig({
      WEBHOOK_PROVIDERS: 'legacy,standard,stripe,github,razorpay,shopify,phonepe',
      WEBHOOK_SECRETS_LEGACY: 'l',
      WEBHOOK_SECRETS_STANDARD: 'whsec_c2VjcmV0',
      WEBHOOK_SECRETS_STRIPE: 's',
      WEBHOOK_SECRETS_GITHUB: 'g',
      WEBHOOK_SECRETS_RAZORPAY: 'r',
      WEBHOOK_SECRETS_SHOPIFY: 'h',
      WEBHOOK_SECRETS_PHONEPE: '1:p,2:q',
    });
    expect(config.providers.size).toBe(7);
    expect(config.providers.get('standard')?.keys[0]?.key.toString()).toBe('secret');
    expect(config.providers.get('phonepe')?.keys.map((key) => key.label)).toEqual(['1', '2']);
  });
});

class RecordingStore implements ParameterStore {
  readonly calls: string[][] = [];
  constructor(readonly values: Record<string, string>) {}
  async getParameters(names: string[]) {
    this.calls.push(names);
    const values = new Map(names.filter((name) => name in this.values).map((name) => [name, this.values[name] as string]));
    return { values, invalid: names.filter((name) => !(name in this.values)) };
  }
}

describe('loadSsmParameters', () => {
  it('does not create a client when no parameter is requested', async () => {
    let created = false;
    const set = await loadSsmParameters({ WEBHOOK_SECRETS_LEGACY: 'x', EMPTY_SSM_PARAMETER: '' }, async () => {
      created = true;
      return new RecordingStore({});
    });
    expect(set).toEqual([]);
    expect(created).toBe(false);
  });

  it('sets each variable from its parameter', async () => {
    const env: Record<string, string | undefined> = {
      WEBHOOK_SECRETS_LEGACY: 'local-default',
      WEBHOOK_SECRETS_LEGACY_SSM_PARAMETER: '/pw/prod/legacy',
      MYSQL_PASSWORD_SSM_PARAMETER: '/pw/prod/mysql',
    };
    const store = new RecordingStore({ '/pw/prod/legacy': 'from-ssm', '/pw/prod/mysql': 'db-pass' });
    const set = await loadSsmParameters(env, async () => store);
    expect(set.sort()).toEqual(['MYSQL_PASSWORD', 'WEBHOOK_SECRETS_LEGACY']);
    expect(env.WEBHOOK_SECRETS_LEGACY).toBe('from-ssm');
    expect(env.MYSQL_PASSWORD).toBe('db-pass');
  });

  it('fetches in batches of ten', async () => {
    const env: Record<string, string> = {};
    const values: Record<string, string> = {};
    for (let i = 0; i < 23; i++) {
      env[`SECRET_${i}_SSM_PARAMETER`] = `/p/${i}`;
      values[`/p/${i}`] = `v${i}`;
    }
    const store = new RecordingStore(values);
    await loadSsmParameters(env, async () => store);
    expect(store.calls.map((call) => call.length)).toEqual([10, 10, 3]);
  });

  it('fails naming the variable when a parameter is missing', async () => {
    const env = { WEBHOOK_SECRETS_STRIPE_SSM_PARAMETER: '/pw/prod/missing' };
    await expect(loadSsmParameters(env, async () => new RecordingStore({}))).rejects.toThrow(/WEBHOOK_SECRETS_STRIPE_SSM_PARAMETER/);
  });

  it('lists requested parameters by target variable', () => {
    expect([...requestedParameters({ A_SSM_PARAMETER: ' /x ', _SSM_PARAMETER: '/y', B: '/z' })]).toEqual([['A', '/x']]);
  });
});
