'use strict';

/**
 * osls plugin that lets `sls invoke local` run the ESM bundles serverless-esbuild writes
 * (custom.esbuild.outputFileExtension: .mjs).
 *
 * osls 4.3.1 `invoke local` loads a handler with require() of the extensionless path and then
 * of `<path>.cjs`. It never tries `.mjs` (lib/plugins/aws/invoke-local/index.js, loadModule),
 * and require() cannot load a bundle with top-level await. After serverless-esbuild bundled and
 * switched the service path to its build folder (its own `before:invoke:local:invoke` hook runs
 * first because it is listed first), this plugin writes `<handler>.cjs` next to the bundle: a
 * CommonJS module whose exported handler imports the `.mjs` bundle on the first call and
 * forwards the event and context to it. Nothing outside the build folder changes.
 *
 * The handlers keep Kafka, Redis and MySQL connections open for warm invocations, so the process
 * would never exit on its own. Like the Lambda runtime, which freezes the container after the
 * response, the plugin ends the process once the result is written, with the exit code osls set
 * (1 when the handler failed).
 */
const fs = require('node:fs');
const path = require('node:path');

function shimSource(bundleFile, exportName) {
  return [
    "'use strict';",
    '// Written by local/kafka-event-source/invoke-local-esm.cjs for `sls invoke local`; see that file.',
    "const { pathToFileURL } = require('node:url');",
    "const path = require('node:path');",
    'let loading;',
    `exports[${JSON.stringify(exportName)}] = async (event, context) => {`,
    `  loading ??= import(pathToFileURL(path.join(__dirname, ${JSON.stringify(bundleFile)})).href);`,
    '  const bundle = await loading;',
    `  return bundle[${JSON.stringify(exportName)}](event, context);`,
    '};',
    '',
  ].join('\n');
}

/** Exits once stdout and stderr drained, so a piped result is not cut off. */
function exitAfterFlush() {
  process.stdout.write('', () => process.stderr.write('', () => process.exit()));
}

class InvokeLocalEsmPlugin {
  constructor(serverless, cliOptions) {
    this.serverless = serverless;
    this.cliOptions = cliOptions || {};
    this.hooks = {
      'before:invoke:local:invoke': () => this.writeShim(),
      'after:invoke:local:invoke': () => exitAfterFlush(),
    };
  }

  writeShim() {
    const functionKey = this.cliOptions.function;
    if (!functionKey) return;
    const definition = this.serverless.service.getFunction(functionKey);
    if (!definition || typeof definition.handler !== 'string') return;

    const separator = definition.handler.lastIndexOf('.');
    const modulePath = definition.handler.slice(0, separator);
    const exportName = definition.handler.slice(separator + 1);
    const buildDir = this.serverless.config.servicePath;
    const bundle = path.join(buildDir, `${modulePath}.mjs`);
    const loadable = ['.js', '.cjs'].some((extension) => fs.existsSync(path.join(buildDir, `${modulePath}${extension}`)));
    if (!fs.existsSync(bundle) || loadable) return;

    fs.writeFileSync(path.join(buildDir, `${modulePath}.cjs`), shimSource(path.basename(bundle), exportName));
  }
}

module.exports = InvokeLocalEsmPlugin;
