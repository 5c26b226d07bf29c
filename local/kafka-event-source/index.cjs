'use strict';

/**
 * osls plugin entry for the local Kafka event-source emulator.
 *
 * osls 4.3.1 loads service plugins with require() and falls back to import() only on
 * ERR_REQUIRE_ESM (lib/utils/require-with-import-fallback.js), so the entry is CommonJS. The
 * implementation is TypeScript and is loaded lazily through tsx's tsImport(), which scopes the
 * TypeScript loader to that import instead of registering it for the whole process. tsx is
 * imported as ESM: on Node 20 the CommonJS build of `tsx/esm/api` (tsx 4.23) registers its
 * loader from a wrong relative path (dist/esm/api/esm/index.mjs) and the import fails.
 *
 * Hooks (serverless-offline 14.8):
 * - `sls offline`: serverless-offline runs everything in its `offline:start` hook and, on
 *   SIGINT/SIGTERM, calls its own `end()`, which calls process.exit(0); other plugins get no
 *   later hook. The emulator starts from `before:offline:start` (after serverless-esbuild
 *   bundled, because serverless-esbuild is listed first) and waits for the Lambda endpoint in the
 *   background. To stop before that exit, it wraps the serverless-offline instance's `end()` so
 *   the pollers stop (a batch in flight finishes, nothing unfinished is committed, the consumers
 *   leave their groups) while the Lambda endpoint is still up.
 * - `sls offline start`: starts in `offline:start:init` after serverless-offline started its
 *   servers, and stops in `before:offline:start:end`, before serverless-offline's `end()`.
 */
class KafkaEventSourcePlugin {
  constructor(serverless, cliOptions, utils) {
    this.serverless = serverless;
    this.cliOptions = cliOptions || {};
    this.log = (utils && utils.log) || { error: console.error, warning: console.warn };
    this.emulator = undefined;
    this.starting = undefined;
    this.stopping = undefined;
    this.abort = new AbortController();

    this.hooks = {
      'before:offline:start': () => {
        this.stopBeforeOfflineEnds();
        this.start().catch((error) => this.reportStartFailure(error));
      },
      'offline:start:init': async () => {
        await this.start();
      },
      'before:offline:start:end': () => this.stop(),
    };
  }

  start() {
    this.starting ??= (async () => {
      const { tsImport } = await import('tsx/esm/api');
      const implementation = await tsImport('./src/plugin.ts', __filename);
      this.emulator = await implementation.startFromServerless(this.serverless, {
        lambdaPortOption: this.cliOptions.lambdaPort,
        signal: this.abort.signal,
      });
    })();
    return this.starting;
  }

  stop() {
    this.stopping ??= (async () => {
      this.abort.abort();
      await (this.starting || Promise.resolve()).catch(() => undefined);
      if (this.emulator !== undefined) await this.emulator.stop();
    })();
    return this.stopping;
  }

  /** Runs stop() at the start of serverless-offline's end(), which exits the process when it finishes. */
  stopBeforeOfflineEnds() {
    const offline = this.serverless.pluginManager
      .getPlugins()
      .find((plugin) => plugin.constructor && plugin.constructor.name === 'ServerlessOffline');
    if (offline === undefined || typeof offline.end !== 'function') {
      this.log.warning('serverless-offline not found; the Kafka event source stops only when the process exits');
      return;
    }

    const end = offline.end.bind(offline);
    offline.end = async (...args) => {
      await this.stop().catch((error) => this.log.error(`Kafka event source did not stop cleanly: ${error && error.message}`));
      return end(...args);
    };
  }

  reportStartFailure(error) {
    if (this.abort.signal.aborted) return;
    this.log.error(`Kafka event source failed to start: ${error && error.message ? error.message : String(error)}`);
  }
}

module.exports = KafkaEventSourcePlugin;
