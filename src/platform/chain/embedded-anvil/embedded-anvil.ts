// The embedded local chain: an Anvil child process whose state lives in the data directory, so
// anchorings (and the receipts that point at them) survive restarts of the service.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { DomainError } from '../../../core/errors';

/**
 * Private key of Anvil's first dev account (derived from the public "test test … junk" mnemonic).
 * It is public knowledge: use it only to deploy and fund on the embedded local chain, never elsewhere.
 */
export const ANVIL_DEV_FUNDER_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** Chain id of the embedded chain (Anvil's default, `0x7a69`). */
export const EMBEDDED_CHAIN_ID = 31337;

/** Where the chain module reports; a pino logger fits. */
export interface ChainLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface EmbeddedAnvilOptions {
  /** The service's data directory; the chain lives in `<dataDir>/<directory>/`. */
  dataDir: string;
  /** The chain's folder in the data directory (default `chain`; a second embedded chain has its own). */
  directory?: string;
  /** The chain id Anvil serves (default EMBEDDED_CHAIN_ID). */
  chainId?: number;
  logger?: ChainLogger;
  /** How long to wait for `eth_chainId` to answer (default 15 s). */
  startTimeoutMs?: number;
  /** How long SIGTERM may take (state dump) before SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /**
   * Value of Anvil's CORS `Access-Control-Allow-Origin`. Default: CORS off, because with `*` any web
   * page the operator visits could call `anvil_setStorageAt` on the chain that backs receipts. Pass
   * the service's own origin if its verification page calls this RPC from the browser.
   */
  allowOrigin?: string;
  /** Extra Anvil flags, for tests (e.g. `--number`) and tuning. */
  extraArgs?: string[];
  /** Picks the loopback port for each start attempt (default: a free one); tests use it to stage a port race. */
  pickPort?: () => Promise<number>;
  /** Restarts of an Anvil that dies while running, within ten minutes (default 5; 0: never restart). */
  restartLimit?: number;
  /** Told after a dead Anvil was restarted: its newest blocks may be lost (up to a second of them). */
  onRestart?: () => void;
}

export interface EmbeddedAnvil {
  /** Loopback JSON-RPC URL, e.g. `http://127.0.0.1:41234`. */
  rpcUrl: string;
  chainId: number;
  /** The running Anvil's pid (a new one after a restart). */
  readonly pid: number;
  /** SIGTERM (Anvil dumps its state), wait for exit, remove the pid file. Idempotent. */
  stop(): Promise<void>;
}

/** Anvil could not be found, did not start, or did not answer in time. */
export class EmbeddedAnvilError extends DomainError<'EMBEDDED_CHAIN_FAILED'> {
  constructor(message: string) {
    super('EMBEDDED_CHAIN_FAILED', message);
  }
}

const START_ATTEMPTS = 3;
const POLL_INTERVAL_MS = 25;
/** How often the chain is asked for a new block to save: the most a hard kill of Anvil can lose. */
const SAVE_POLL_MS = 1_000;
const gunzip = promisify(zlib.gunzip);

/**
 * Starts Anvil on a free loopback port with its state persisted in `<dataDir>/chain/`.
 *
 * Before starting, an Anvil left running by an earlier run of the same data directory (the parent
 * was killed) is stopped, so it saves its state and two chains never share one state file. On
 * Linux the child also gets SIGTERM when this process dies (prctl PDEATHSIG via `setpriv`).
 * Callers should still call `stop()` from their exit/SIGINT/SIGTERM handlers.
 */
export async function startEmbeddedAnvil(options: EmbeddedAnvilOptions): Promise<EmbeddedAnvil> {
  const logger = options.logger ?? defaultLogger;
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const files = chainFiles(options.dataDir, options.directory);
  fs.mkdirSync(files.chainDir, { recursive: true });
  await stopStaleAnvil(files, logger, stopTimeoutMs);
  // A save cut short by a crash leaves its temporary file (the state file itself is intact).
  for (const name of fs.readdirSync(files.chainDir)) {
    if (name.startsWith(`${path.basename(files.stateFile)}.`) && name.endsWith('.saving')) fs.rmSync(path.join(files.chainDir, name), { force: true });
  }
  let pendingBackup = snapshotStateFile(files);

  try {
    for (let attempt = 1; ; attempt++) {
      const port = await (options.pickPort ?? findFreePort)();
      const logOffset = fileSize(files.logFile);
      const { child, direct } = spawnAnvil(files, port, options);
      const pid = child.pid;
      if (pid === undefined) throw new EmbeddedAnvilError(`Anvil did not start: ${await spawnErrorOf(child)}`);
      fs.writeFileSync(files.pidFile, `${pid}\n`);
      const rpcUrl = `http://127.0.0.1:${port}`;
      const outcome = await waitUntilReady(rpcUrl, child, startTimeoutMs);

      // The port was free when picked, but another process can bind it before Anvil does; if that
      // one answers eth_chainId (another Anvil, say), the service would anchor on someone else's
      // chain while its own Anvil has exited. So the answer counts only from Anvil's own socket.
      if (outcome.kind === 'ready' && direct && ownsListeningSocket(pid, port) === false) {
        logger.warn(`port ${port} was taken by another process before Anvil could bind it; starting Anvil on another port`);
        await terminate(pid, () => child.exitCode !== null || child.signalCode !== null, 2_000);
        removePidFile(files.pidFile, pid);
        if (attempt < START_ATTEMPTS) continue;
        throw new EmbeddedAnvilError(`another process kept answering on the ports picked for Anvil (last ${port})`);
      }

      if (outcome.kind === 'ready') {
        if (pendingBackup) fs.renameSync(pendingBackup, files.backupFile);
        pendingBackup = undefined;
        logger.info(`embedded Anvil ${pid} serves chain ${outcome.chainId} at ${rpcUrl}`);
        const saver = startStateSaver(rpcUrl, files, logger, await rpcCall<string>(rpcUrl, 'eth_blockNumber').catch(() => undefined));
        const supervisor = superviseAnvil(child, { files, port, options, logger, startTimeoutMs });
        return {
          rpcUrl,
          chainId: outcome.chainId,
          get pid() {
            return supervisor.current().pid as number;
          },
          stop: once(async () => {
            supervisor.stopSupervising();
            await saver.stop();
            await stopChild(supervisor.current(), files, stopTimeoutMs);
          }),
        };
      }

      removePidFile(files.pidFile, pid);
      if (outcome.kind === 'timeout') {
        await terminate(pid, () => child.exitCode !== null || child.signalCode !== null, 2_000);
        throw new EmbeddedAnvilError(
          `Anvil (pid ${pid}) did not answer eth_chainId at ${rpcUrl} within ${startTimeoutMs} ms; see ${files.logFile}`,
        );
      }
      const output = readFrom(files.logFile, logOffset);
      if (attempt < START_ATTEMPTS && /address already in use/i.test(output)) continue;
      if (attempt < START_ATTEMPTS && /failed to parse json file/i.test(output) && restoreBackup(files, logger)) {
        discard(pendingBackup); // a copy of the damaged file
        pendingBackup = undefined;
        continue;
      }
      throw new EmbeddedAnvilError(`Anvil exited during start-up (${outcome.exit}):\n${output}`);
    }
  } finally {
    discard(pendingBackup);
  }
}

/** Restarts of a dead Anvil allowed within RESTART_WINDOW_MS before the service stops trying. */
const DEFAULT_RESTART_LIMIT = 5;
const RESTART_WINDOW_MS = 10 * 60_000;
const RESTART_RETRY_MS = 1_000;

/**
 * Watches Anvil after its start: if it exits while the service still needs it (killed, crashed), it
 * is started again on the same port, from the state last saved, so the service's provider and the
 * page's relay keep their URL. At most `restartLimit` restarts in ten minutes: a chain that keeps
 * dying needs an operator, and the log says so.
 */
function superviseAnvil(
  first: ChildProcess,
  context: { files: ChainFiles; port: number; options: EmbeddedAnvilOptions; logger: ChainLogger; startTimeoutMs: number },
): { current(): ChildProcess; stopSupervising(): void } {
  const { files, port, options, logger, startTimeoutMs } = context;
  const limit = options.restartLimit ?? DEFAULT_RESTART_LIMIT;
  const restarts: number[] = [];
  let current = first;
  let supervising = true;
  let retry: NodeJS.Timeout | undefined;

  const restart = async (): Promise<void> => {
    retry = undefined;
    if (!supervising) return;
    const now = Date.now();
    while (restarts.length > 0 && restarts[0]! < now - RESTART_WINDOW_MS) restarts.shift();
    if (restarts.length >= limit) {
      logger.warn(`embedded Anvil exited ${restarts.length + 1} times within ${RESTART_WINDOW_MS / 60_000} minutes; not restarting it again: anchoring stops until the service is restarted (see ${files.logFile})`);
      return;
    }
    restarts.push(now);
    const { child } = spawnAnvil(files, port, options);
    if (child.pid === undefined) {
      logger.warn(`could not restart the embedded Anvil: ${await spawnErrorOf(child)}`);
      retry = setTimeout(restartOrRetry, RESTART_RETRY_MS);
      return;
    }
    fs.writeFileSync(files.pidFile, `${child.pid}\n`);
    const outcome = await waitUntilReady(`http://127.0.0.1:${port}`, child, startTimeoutMs);
    if (outcome.kind === 'ready' && ownsListeningSocket(child.pid, port) !== false) {
      if (!supervising) {
        // stop() ran meanwhile and took down the child it knew: this one is nobody's.
        await stopChild(child, files, 5_000);
        return;
      }
      current = child;
      watch(child);
      logger.warn(`restarted the embedded Anvil (pid ${child.pid}) on port ${port} from its saved state`);
      options.onRestart?.();
      return;
    }
    await terminate(child.pid, () => child.exitCode !== null || child.signalCode !== null, 2_000);
    removePidFile(files.pidFile, child.pid);
    logger.warn(`the restarted embedded Anvil did not come up on port ${port} (${outcome.kind === 'exited' ? outcome.exit : outcome.kind}); trying again`);
    if (supervising) retry = setTimeout(restartOrRetry, RESTART_RETRY_MS);
  };

  const restartOrRetry = () =>
    restart().catch((error: unknown) => {
      logger.warn(`could not restart the embedded Anvil: ${(error as Error).message}`);
      if (supervising) retry = setTimeout(restartOrRetry, RESTART_RETRY_MS);
    });
  const watch = (child: ChildProcess) => {
    child.once('exit', (code, signal) => {
      if (!supervising || child !== current) return;
      logger.warn(`embedded Anvil ${child.pid} exited (${signal ? `signal ${signal}` : `exit code ${code}`}) while the service runs; ${limit > 0 ? 'restarting it' : 'restarts are off'}`);
      if (limit > 0) void restartOrRetry();
    });
  };
  watch(first);
  return {
    current: () => current,
    stopSupervising() {
      supervising = false;
      if (retry) clearTimeout(retry);
    },
  };
}

interface ChainFiles {
  chainDir: string;
  stateFile: string;
  backupFile: string;
  pidFile: string;
  logFile: string;
}

function chainFiles(dataDir: string, directory = 'chain'): ChainFiles {
  const chainDir = path.resolve(dataDir, directory);
  return {
    chainDir,
    stateFile: path.join(chainDir, 'anvil-state.json'),
    backupFile: path.join(chainDir, 'anvil-state.backup.json'),
    pidFile: path.join(chainDir, 'anvil.pid'),
    logFile: path.join(chainDir, 'anvil.log'),
  };
}

const defaultLogger: ChainLogger = {
  info: () => {},
  warn: (message) => process.emitWarning(message, { code: 'DID_NOTARY_CHAIN' }),
};

/** The platform package's binary, else the one @foundry-rs/anvil's postinstall fetched, else its JS wrapper. */
function resolveAnvilCommand(): { command: string; prefixArgs: string[] } {
  const arch = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
  const binary = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  const candidates: string[] = [];
  try {
    const manifest = require.resolve(`@foundry-rs/anvil-${process.platform}-${arch}/package.json`);
    candidates.push(path.join(path.dirname(manifest), 'bin', binary));
  } catch {
    // optional dependency skipped on this platform: try the wrapper package below
  }
  let wrapperDir: string | undefined;
  try {
    wrapperDir = path.dirname(require.resolve('@foundry-rs/anvil/package.json'));
    candidates.push(path.join(wrapperDir, binary));
  } catch {
    // not installed at all
  }
  const found = candidates.find((candidate) => fs.existsSync(candidate));
  if (found) return { command: found, prefixArgs: [] };
  if (wrapperDir) return { command: process.execPath, prefixArgs: [path.join(wrapperDir, 'bin.mjs')] };
  throw new EmbeddedAnvilError('Anvil not found: install the @foundry-rs/anvil package (npm install).');
}

/** Linux only: have the kernel SIGTERM Anvil when this process dies, so a crash leaves no orphan. */
function parentDeathWrapper(): string[] {
  if (process.platform !== 'linux') return [];
  for (const candidate of ['/usr/bin/setpriv', '/bin/setpriv']) {
    if (fs.existsSync(candidate)) return [candidate, '--pdeathsig', 'TERM', '--'];
  }
  return [];
}

/** `direct`: the child is Anvil itself (setpriv execs it), not a JavaScript wrapper that spawns it. */
function spawnAnvil(files: ChainFiles, port: number, options: EmbeddedAnvilOptions): { child: ChildProcess; direct: boolean } {
  const { command, prefixArgs } = resolveAnvilCommand();
  const anvilArgs = [
    ...prefixArgs,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--chain-id', String(options.chainId ?? EMBEDDED_CHAIN_ID),
    // Loaded at start and written at exit; in between, startStateSaver writes it after new blocks
    // (Anvil's own --state-interval rewrites the whole history every interval, idle or not).
    '--state', files.stateFile,
    '--quiet',
    ...(options.allowOrigin === undefined ? ['--no-cors'] : ['--allow-origin', options.allowOrigin]),
    ...(options.extraArgs ?? []),
  ];
  const [wrapper, ...wrapperArgs] = parentDeathWrapper();
  const logFd = fs.openSync(files.logFile, 'a');
  try {
    fs.writeSync(logFd, `--- ${new Date().toISOString()} starting anvil on port ${port}\n`);
    const child =
      wrapper === undefined
        ? spawn(command, anvilArgs, { stdio: ['ignore', logFd, logFd] })
        : spawn(wrapper, [...wrapperArgs, command, ...anvilArgs], { stdio: ['ignore', logFd, logFd] });
    return { child, direct: prefixArgs.length === 0 };
  } finally {
    fs.closeSync(logFd);
  }
}

function spawnErrorOf(child: ChildProcess): Promise<string> {
  return new Promise((resolve) => child.once('error', (error) => resolve(error.message)));
}

type StartOutcome =
  | { kind: 'ready'; chainId: number }
  | { kind: 'exited'; exit: string }
  | { kind: 'timeout' };

async function waitUntilReady(rpcUrl: string, child: ChildProcess, timeoutMs: number): Promise<StartOutcome> {
  let exit: string | undefined;
  const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
    exit = signal ? `signal ${signal}` : `exit code ${code}`;
  };
  child.once('exit', onExit);
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (exit !== undefined) return { kind: 'exited', exit };
      const chainId = await queryChainId(rpcUrl);
      if (chainId !== undefined) return { kind: 'ready', chainId };
      await sleep(POLL_INTERVAL_MS);
    }
    return exit === undefined ? { kind: 'timeout' } : { kind: 'exited', exit };
  } finally {
    child.off('exit', onExit);
  }
}

async function queryChainId(rpcUrl: string): Promise<number | undefined> {
  try {
    const result = await rpcCall<unknown>(rpcUrl, 'eth_chainId', [], 1_000);
    return typeof result === 'string' ? Number(BigInt(result)) : undefined;
  } catch {
    return undefined; // not listening yet
  }
}

/**
 * Saves the chain's state after new blocks: every SAVE_POLL_MS the block number is read, and when it
 * moved, `anvil_dumpState` (gzipped JSON) is written over the state file through a temporary file,
 * fsync and rename, so a crash never leaves a torn file. An idle chain is not rewritten.
 *
 * Why not Anvil's `--state-interval 1`: it rewrote the whole state, every block since genesis, every
 * second whether anything changed or not. At 5,000 blocks (a few days of anchoring every 10 s) that
 * is 8.7 MB a second from an idle service, and it grows with every anchoring.
 */
function startStateSaver(rpcUrl: string, files: ChainFiles, logger: ChainLogger, savedBlock: string | undefined): { stop(): Promise<void> } {
  let lastSaved = savedBlock;
  let saving: Promise<void> | undefined;
  let stopped = false;
  let failing = false;
  const save = async () => {
    const block = await rpcCall<string>(rpcUrl, 'eth_blockNumber');
    if (block === lastSaved) return;
    const dump = await rpcCall<string>(rpcUrl, 'anvil_dumpState', [], 60_000);
    // Unzipped and written off the event loop: a long history is tens of megabytes.
    const state = await gunzip(Buffer.from(dump.replace(/^0x/, ''), 'hex'));
    if (stopped) return; // Anvil writes the file itself as it exits
    await writeFileAtomically(files.stateFile, state);
    lastSaved = block;
  };
  const timer = setInterval(() => {
    if (saving || stopped) return;
    saving = save()
      .then(() => {
        if (failing) logger.info('the embedded chain\'s state is saved again');
        failing = false;
      })
      .catch((error: unknown) => {
        if (!failing && !stopped) logger.warn(`could not save the embedded chain's state (retrying every second): ${(error as Error).message}`);
        failing = true;
      })
      .finally(() => {
        saving = undefined;
      });
  }, SAVE_POLL_MS);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await saving;
    },
  };
}

async function rpcCall<T>(rpcUrl: string, method: string, params: unknown[] = [], timeoutMs = 5_000): Promise<T> {
  const response = await fetch(rpcUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = (await response.json()) as { result?: T; error?: { message?: string } };
  if (body.error || body.result === undefined) throw new Error(`${method}: ${body.error?.message ?? 'no result'}`);
  return body.result;
}

async function writeFileAtomically(file: string, contents: Buffer): Promise<void> {
  const temporary = `${file}.${process.pid}.saving`;
  const handle = await fs.promises.open(temporary, 'w');
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.promises.rename(temporary, file);
}

/**
 * A loopback port free right now (bound to port 0, then released); shared with tests and the bench.
 * Another process can take it before the caller binds it: Anvil's start-up checks and retries.
 */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new EmbeddedAnvilError('could not pick a free loopback port'));
      });
    });
  });
}

async function stopChild(child: ChildProcess, files: ChainFiles, timeoutMs: number): Promise<void> {
  const pid = child.pid as number;
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const exitPromise = exited() ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await terminate(pid, exited, timeoutMs);
  await exitPromise;
  removePidFile(files.pidFile, pid);
  // A clean exit means Anvil just wrote a complete state file: keep it as the known-good copy.
  if (child.exitCode === 0) {
    const pending = snapshotStateFile(files);
    if (pending) fs.renameSync(pending, files.backupFile);
  }
}

/** Stops an Anvil recorded in the pid file if it is still alive and really serves this data directory. */
async function stopStaleAnvil(files: ChainFiles, logger: ChainLogger, timeoutMs: number): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(fs.readFileSync(files.pidFile, 'utf8').trim(), 10);
  } catch {
    return; // no pid file: clean shutdown last time
  }
  if (Number.isSafeInteger(pid) && pid > 0 && isAlive(pid)) {
    const commandLine = commandLineOf(pid);
    if (commandLine?.includes('anvil') && commandLine.includes(files.stateFile)) {
      logger.warn(`stopping Anvil ${pid} left running by an earlier run of ${files.chainDir}`);
      await terminate(pid, () => !isAlive(pid), timeoutMs);
    }
  }
  fs.rmSync(files.pidFile, { force: true });
}

/** SIGTERM, then SIGKILL if `hasExited` is still false after `timeoutMs`. */
async function terminate(pid: number, hasExited: () => boolean, timeoutMs: number): Promise<void> {
  if (!signal(pid, 'SIGTERM')) return;
  if (await waitFor(hasExited, timeoutMs)) return;
  signal(pid, 'SIGKILL');
  await waitFor(hasExited, 5_000);
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false; // already gone
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await sleep(POLL_INTERVAL_MS);
  }
  return true;
}

/** Alive and not a zombie (a zombie waits for a parent that may never reap it). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no procfs: trust kill(0)
  }
}

/**
 * Whether process `pid` holds the socket listening on loopback TCP `port`: the socket's inode in
 * /proc/net/tcp(6) among the process's open descriptors. Undefined where procfs cannot tell.
 */
export function ownsListeningSocket(pid: number, port: number): boolean | undefined {
  const tables = ['/proc/net/tcp', '/proc/net/tcp6'].map((file) => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch {
      return undefined;
    }
  });
  if (tables.every((table) => table === undefined)) return undefined;
  const portSuffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const listening = new Set<string>();
  for (const line of tables.join('\n').split('\n')) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …
    const fields = line.trim().split(/\s+/);
    if (fields.length > 9 && fields[1]!.endsWith(portSuffix) && fields[3] === '0A') listening.add(fields[9]!);
  }
  let descriptors: string[];
  try {
    descriptors = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone (it lost the port and exited)
  }
  return descriptors.some((fd) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      return inode !== undefined && listening.has(inode);
    } catch {
      return false; // closed meanwhile
    }
  });
}

function commandLineOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    // no procfs (macOS): fall back to ps
  }
  try {
    return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

function removePidFile(pidFile: string, pid: number): void {
  try {
    if (fs.readFileSync(pidFile, 'utf8').trim() === String(pid)) fs.rmSync(pidFile);
  } catch {
    // already gone
  }
}

/**
 * Anvil rewrites its state file in place (truncate, then write) every interval, so a kill -9 in
 * mid-write leaves a file it refuses to load. A copy taken while no Anvil runs is promoted to the
 * backup once Anvil has loaded it (proof that it parses); returns the copy's path.
 */
function snapshotStateFile(files: ChainFiles): string | undefined {
  if (!fs.existsSync(files.stateFile)) return undefined;
  const pending = `${files.backupFile}.${process.pid}.tmp`;
  fs.copyFileSync(files.stateFile, pending);
  return pending;
}

function discard(file: string | undefined): void {
  if (file) fs.rmSync(file, { force: true });
}

function restoreBackup(files: ChainFiles, logger: ChainLogger): boolean {
  if (!fs.existsSync(files.backupFile)) return false;
  const damaged = `${files.stateFile}.damaged-${Date.now()}`;
  fs.renameSync(files.stateFile, damaged);
  fs.copyFileSync(files.backupFile, files.stateFile);
  logger.warn(
    `Anvil state file was damaged (kept as ${damaged}); restored the copy from the last clean ` +
      `start or stop: anchorings made after it are lost and must be re-anchored`,
  );
  return true;
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** What Anvil wrote to its log since `offset` (its own error messages say why it stopped). */
function readFrom(file: string, offset: number): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8').trim().slice(-4_000);
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}
