/**
 * Process helpers for the stack launcher: finding executables, starting detached services
 * whose output goes to a log file, and stopping exactly the processes the launcher started.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Directories searched after PATH: Debian and Ubuntu install mariadbd and mysqld in /usr/sbin. */
const EXTRA_BIN_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin'];

/** Returns the absolute path of the first of `names` found on PATH or in EXTRA_BIN_DIRS, or undefined. */
export function findExecutable(names) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_BIN_DIRS];
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        // not in this directory
      }
    }
  }
  return undefined;
}

/** Runs a command to completion and returns its exit status and combined output. */
export function runCommand(command, args, options = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  return {
    status: result.status ?? (result.error ? -1 : 0),
    output: `${result.stdout ?? ''}${result.stderr ?? ''}`,
    error: result.error,
  };
}

/**
 * Returns the major version of the Java runtime (17 for "17.0.15", 8 for "1.8.0_402"),
 * or undefined when `java` cannot run.
 */
export function javaMajorVersion(javaBin) {
  const { status, output } = runCommand(javaBin, ['-version']);
  if (status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(output);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

/**
 * Starts a long-running process in its own process group, detached from this one, with stdout
 * and stderr appended to `logFile`. Returns the child; its pid stays valid after this process exits.
 */
export function spawnDetached(command, args, { logFile, cwd, env } = {}) {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

/** Returns the process's command line as one string, or undefined when /proc is not available. */
function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

/** True when the process exists and is not a zombie (a zombie has exited but was not yet reaped). */
export function isAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true;
  }
}

/**
 * True when `pid` is alive and is still the process the launcher started: its command line
 * contains `marker` (a path under the stack directory). This guards against a reused pid.
 */
export function isOwnProcess(pid, marker) {
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  const line = commandLine(pid);
  return line === undefined || line.includes(marker);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends SIGTERM, waits up to `graceMs` for the process to exit, then sends SIGKILL.
 * Returns 'terminated', 'killed' or 'not running'.
 */
export async function stopProcess(pid, marker, graceMs) {
  if (!isOwnProcess(pid, marker)) return 'not running';
  process.kill(pid, 'SIGTERM');

  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'terminated';
    await sleep(200);
  }

  process.kill(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(100);
  return 'killed';
}

/** Returns the last `lines` lines of a log file, or an empty string when it does not exist. */
export function tailFile(file, lines = 15) {
  if (!existsSync(file)) return '';
  const text = readFileSync(file, 'utf8').trimEnd();
  return text.split('\n').slice(-lines).join('\n');
}
