/**
 * Runs `sls offline` as a child process for the demo and the end-to-end tests. The child gets its
 * own process group and writes its output to a log file. startOffline waits until the HTTP port
 * accepts connections, and stop() ends the whole group (osls, serverless-offline, esbuild).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export class OfflineStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OfflineStartError';
  }
}

export interface OfflineOptions {
  httpPort: number;
  lambdaPort: number;
  /** Added to this process's environment for the child. */
  env?: Record<string, string>;
  /** Output of the child (osls, serverless-offline, the functions' logs). */
  logFile: string;
  /** How long to wait for the HTTP port. Bundling with esbuild comes first. */
  startTimeoutMs?: number;
}

export interface OfflineProcess {
  child: ChildProcess;
  baseUrl: string;
  logFile: string;
  /** Sends SIGTERM to the process group, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Returns true when a TCP connection to host:port succeeds. */
export function canConnect(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (connected: boolean) => {
      socket.destroy();
      resolve(connected);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Asks the kernel for a free TCP port on 127.0.0.1. Another process may take it before use. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export function tailOf(file: string, lines = 30): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `sls offline --httpPort <httpPort> --lambdaPort <lambdaPort>` from the repository root.
 * Rejects with OfflineStartError when a port is already taken, when the child exits early, or
 * when the HTTP port does not accept connections within the timeout.
 */
export async function startOffline(options: OfflineOptions): Promise<OfflineProcess> {
  for (const [flag, port] of [
    ['httpPort', options.httpPort],
    ['lambdaPort', options.lambdaPort],
  ] as const) {
    if (await canConnect('127.0.0.1', port)) {
      throw new OfflineStartError(`Port ${port} (--${flag}) is already in use, probably by another sls offline: stop it or choose another port.`);
    }
  }

  mkdirSync(path.dirname(options.logFile), { recursive: true });
  const fd = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn('npx', ['--no-install', 'sls', 'offline', '--httpPort', String(options.httpPort), '--lambdaPort', String(options.lambdaPort)], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ['ignore', fd, fd],
    });
  } finally {
    closeSync(fd);
  }

  let exit: string | undefined;
  child.once('exit', (code, signal) => {
    exit = signal ?? `exit code ${code}`;
  });

  const stop = async (graceMs = 15_000) => {
    if (exit !== undefined || child.pid === undefined) return;
    const group = -child.pid;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(group, 'SIGTERM');
    } catch {
      return;
    }
    const timer = sleep(graceMs).then(() => 'timeout' as const);
    if ((await Promise.race([exited.then(() => 'exited' as const), timer])) === 'timeout') {
      try {
        process.kill(group, 'SIGKILL');
      } catch {
        // already gone
      }
      await exited;
    }
    // serverless-offline's worker threads live in the same process; esbuild's service process
    // is in the group and got the signal too. Kill stragglers that ignored SIGTERM.
    try {
      process.kill(group, 'SIGKILL');
    } catch {
      // the group is empty
    }
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 180_000);
  while (Date.now() < deadline) {
    if (exit !== undefined) {
      throw new OfflineStartError(`sls offline ended (${exit}) before listening on port ${options.httpPort}. Its output (${options.logFile}):\n${tailOf(options.logFile)}`);
    }
    // osls prints a fatal error under a line "Error:" and, after a failed esbuild build, may
    // keep running without ever listening.
    if (/^Error:$/m.test(tailOf(options.logFile, 200))) {
      await stop();
      throw new OfflineStartError(`sls offline failed to start. Its output (${options.logFile}):\n${tailOf(options.logFile)}`);
    }
    if (await canConnect('127.0.0.1', options.httpPort)) {
      return { child, baseUrl: `http://127.0.0.1:${options.httpPort}`, logFile: options.logFile, stop };
    }
    await sleep(500);
  }

  await stop();
  throw new OfflineStartError(
    `sls offline did not listen on port ${options.httpPort} within ${(options.startTimeoutMs ?? 180_000) / 1000} s. Its output (${options.logFile}):\n${tailOf(options.logFile)}`,
  );
}
