/**
 * The TypeScript half of the osls plugin: turns the loaded service into emulator settings and
 * starts the emulator. index.cjs loads this module through tsx when `sls offline` starts.
 */
import { createLogger } from '../../../lib/logger.js';
import { readEmulatorSettings, type FunctionDescription } from './config.js';
import { KafkaEventSourceEmulator } from './emulator.js';
import { OfflineLambdaInvoker, waitForEndpoint } from './invoker.js';

/** The part of osls's `serverless` object this plugin reads. */
export interface ServerlessLike {
  service: {
    getAllFunctions(): string[];
    getFunction(key: string): { name?: string; events?: unknown[] };
    custom?: Record<string, unknown>;
  };
}

export interface StartOptions {
  /** serverless-offline's --lambdaPort CLI option, which wins over custom.serverless-offline.lambdaPort. */
  lambdaPortOption?: string | number;
  /** How long to wait for serverless-offline's Lambda endpoint before polling. */
  endpointTimeoutMs?: number;
  signal?: AbortSignal;
}

export async function startFromServerless(serverless: ServerlessLike, options: StartOptions = {}): Promise<KafkaEventSourceEmulator | undefined> {
  const logger = createLogger('kafka-event-source');
  const { service } = serverless;

  const functions: FunctionDescription[] = service.getAllFunctions().map((key) => {
    const definition = service.getFunction(key);
    return { key, name: definition.name ?? key, events: definition.events ?? [] };
  });
  const offlineSettings = (service.custom?.['serverless-offline'] ?? {}) as { lambdaPort?: unknown };
  const lambdaPort = Number(options.lambdaPortOption ?? offlineSettings.lambdaPort ?? 3002);

  const settings = readEmulatorSettings({
    functions,
    localSettings: service.custom?.kafkaEventSource,
    lambdaPort,
    env: process.env,
  });
  const emulator = new KafkaEventSourceEmulator({ settings, invoker: new OfflineLambdaInvoker(settings.lambdaEndpoint), logger });
  if (emulator.activeMappings().length === 0) {
    logger.info('No enabled msk or kafka events; the Kafka event source emulator is idle', { mappings: settings.mappings.length });
    return undefined;
  }

  // Records must not be fetched before the function can be invoked, or the first batch would
  // wait out the retry backoff.
  await waitForEndpoint(settings.lambdaEndpoint, options.endpointTimeoutMs ?? 120_000, options.signal);
  await emulator.start();
  return emulator;
}
