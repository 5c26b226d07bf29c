/**
 * Cold start of handlers/ingest.ts in a child process: a missing secret of an enabled provider
 * must fail the module load (the Lambda init phase) with a message naming the variable.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const LOAD_HANDLER = "import('./handlers/ingest.ts').then((module) => { console.log('handler:' + typeof module.handler); process.exit(0); })";

function loadHandler(env: Record<string, string>) {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('WEBHOOK_') && !name.endsWith('_SSM_PARAMETER')));
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', LOAD_HANDLER], {
    cwd: REPOSITORY,
    env: { ...clean, LOG_LEVEL: 'warn', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('ingest cold start', () => {
  it('fails when an enabled provider has no secret', () => {
    const result = loadHandler({ WEBHOOK_PROVIDERS: 'legacy,stripe', WEBHOOK_SECRETS_LEGACY: 'local-secret' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Missing WEBHOOK_SECRETS_STRIPE');
    expect(result.stdout).not.toContain('handler:function');
  });

  it('loads when every enabled provider has a secret', () => {
    const result = loadHandler({ WEBHOOK_PROVIDERS: 'legacy,stripe', WEBHOOK_SECRETS_LEGACY: 'local-secret', WEBHOOK_SECRETS_STRIPE: 'whsec_x' });
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('handler:function');
    expect(result.status).toBe(0);
  });
});
