// What a bench section starts — child processes, temporary directories, databases — is registered
// here and released when the section ends, fails or times out, and (synchronously) when the bench
// process exits, so no service, Anvil or data directory outlives a run.
import { isProcessAlive } from '../src/platform/directory-lock';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** On Linux the kernel SIGTERMs our children when the bench dies, even by kill -9 (prctl PDEATHSIG). */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((candidate) => process.platform === 'linux' && fs.existsSync(candidate));

interface TrackedChild {
  child: ChildProcess;
  exited: Promise<void>;
}

const liveScopes = new Set<ResourceScope>();
const TEMP_PREFIX = 'did-notary-bench-';
const OWNER_FILE = '.bench-owner-pid';

/** Resources of one bench section; `close()` releases them in reverse order. */
export class ResourceScope {
  private readonly closers: Array<{ name: string; close: () => Promise<void> }> = [];
  private readonly children = new Set<TrackedChild>();
  private readonly dirs = new Set<string>();
  private closed = false;

  constructor(readonly name: string) {
    liveScopes.add(this);
  }

  /** A fresh directory under the OS temp dir, removed on close. */
  tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${TEMP_PREFIX}${prefix}-`));
    // Lets a later run remove it should this process be killed before it can (see sweepStaleTempDirs).
    fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
    this.dirs.add(dir);
    return dir;
  }

  /** Registers an async release step (closing a store, dropping a database). */
  defer(name: string, close: () => Promise<void>): void {
    this.closers.push({ name, close });
  }

  /**
   * Spawns a child in its own process group (so its own children, e.g. Anvil, can be signalled with
   * it) that also dies with the bench. `stop()` sends SIGTERM, then SIGKILL to the group after
   * `graceMs`.
   */
  spawn(command: string, args: string[], options: SpawnOptions & { graceMs?: number } = {}): { child: ChildProcess; stop: () => Promise<void> } {
    const [file, fileArgs] = SETPRIV ? [SETPRIV, ['--pdeathsig', 'TERM', '--', command, ...args]] : [command, args];
    const child = spawn(file, fileArgs, { ...options, detached: true });
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    const tracked: TrackedChild = { child, exited };
    this.children.add(tracked);
    const graceMs = options.graceMs ?? 15_000;
    const stop = async () => {
      await stopChild(tracked, graceMs);
      this.children.delete(tracked);
    };
    this.closers.push({ name: `child ${child.pid}`, close: stop });
    return { child, stop };
  }

  /** Releases everything; errors are reported, never thrown, so every step runs. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const { name, close } of this.closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        process.stderr.write(`bench: could not release ${name} of ${this.name}: ${(error as Error).message}\n`);
      }
    }
    for (const tracked of this.children) killGroup(tracked.child, 'SIGKILL');
    this.children.clear();
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
    this.dirs.clear();
    liveScopes.delete(this);
  }

  /** Last resort at process exit: synchronous, so it can run in an 'exit' handler. */
  killNow(): void {
    for (const tracked of this.children) killGroup(tracked.child, 'SIGKILL');
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function stopChild(tracked: TrackedChild, graceMs: number): Promise<void> {
  const { child } = tracked;
  if (child.exitCode !== null || child.signalCode !== null) return;
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
  await tracked.exited;
  clearTimeout(timer);
  // The group may still hold grandchildren (Anvil) if the child died without stopping them.
  killGroup(child, 'SIGKILL');
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Runs `work` with its own scope and a deadline. On timeout the scope is closed (which kills what the
 * section started, so its pending awaits fail) and the returned promise rejects with a TimeoutError.
 */
export async function withScope<T>(name: string, timeoutMs: number, work: (scope: ResourceScope) => Promise<T>): Promise<T> {
  const scope = new ResourceScope(name);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${name} did not finish within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
  });
  try {
    return await Promise.race([work(scope), timeout]);
  } finally {
    clearTimeout(timer);
    await scope.close();
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** Removes temp dirs left by bench runs that were killed (kill -9 leaves no chance to clean up). */
function sweepStaleTempDirs(): void {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    let owner = NaN;
    try {
      owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), 'utf8'));
    } catch {
      continue; // not ours to judge
    }
    if (Number.isInteger(owner) && owner > 0 && !isProcessAlive(owner)) fs.rmSync(dir, { recursive: true, force: true });
  }
}


/** Installs exit and signal handlers that release every live scope, after sweeping stale temp dirs. Call once at start. */
export function installExitCleanup(): void {
  sweepStaleTempDirs();
  process.on('exit', () => {
    for (const scope of liveScopes) scope.killNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}, stopping everything it started…\n`);
      void Promise.allSettled([...liveScopes].map((scope) => scope.close())).then(() => process.exit(130));
      setTimeout(() => process.exit(130), 20_000).unref();
    });
  }
}
