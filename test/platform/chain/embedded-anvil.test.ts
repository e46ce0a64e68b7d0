// The embedded chain's lifecycle against real Anvil processes: persistence across restarts, stale
// processes of crashed runs, a damaged state file. Needs `npm run compile` first.
import { connectEmbeddedChain } from '../../../src/platform/chain/embedded-anvil/embedded-provider';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { JsonRpcProvider, Wallet, hexlify, parseEther, randomBytes } from 'ethers';
import {
  ANVIL_DEV_FUNDER_KEY,
  EmbeddedAnvilError,
  findFreePort,
  ownsListeningSocket,
  startEmbeddedAnvil,
  type ChainLogger,
  type EmbeddedAnvil,
  type EmbeddedAnvilOptions,
} from '../../../src/platform/chain/embedded-anvil/embedded-anvil';
import { ensureEmbeddedDeployment, type EmbeddedDeployment } from '../../../src/platform/chain/deployment';
import { anchorRoot, findAnchoringEvent, readAnchoring } from '../../../src/platform/chain/anchor-contract';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');
const started: EmbeddedAnvil[] = [];
const providers: JsonRpcProvider[] = [];
const dataDirs: string[] = [];

function newDataDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'did-notary-chain-'));
  dataDirs.push(dir);
  return dir;
}

function capturingLogger(): ChainLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, info: () => {}, warn: (message) => warnings.push(message) };
}

async function start(options: EmbeddedAnvilOptions): Promise<EmbeddedAnvil> {
  const anvil = await startEmbeddedAnvil(options);
  started.push(anvil);
  return anvil;
}

function connect(anvil: EmbeddedAnvil): { provider: JsonRpcProvider; funder: Wallet } {
  // cacheTimeout -1: Anvil mines faster than ethers' 250 ms result cache, which would serve stale nonces.
  const provider = connectEmbeddedChain(anvil, 50);
  providers.push(provider);
  return { provider, funder: new Wallet(ANVIL_DEV_FUNDER_KEY, provider) };
}

function stateFile(dataDir: string): string {
  return path.join(dataDir, 'chain', 'anvil-state.json');
}

/** Live (non-zombie) processes whose command line names this data directory's state file. */
function anvilProcessesOf(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const commandLine = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (commandLine.includes('anvil') && commandLine.includes(stateFile(dataDir)) && state !== 'Z') {
        pids.push(Number(entry));
      }
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

async function eventually(condition: () => boolean, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** Deploys (or finds) the contracts and anchors a fresh root from a funded service signer. */
async function anchorSomething(anvil: EmbeddedAnvil, dataDir: string, logger?: ChainLogger) {
  const { provider, funder } = connect(anvil);
  const signer = new Wallet(hexlify(randomBytes(32)), provider);
  const deployment = await ensureEmbeddedDeployment({ dataDir, provider, funder, signerAddress: signer.address, logger });
  const root = hexlify(randomBytes(32)).slice(2);
  const receipt = (await (await anchorRoot(signer, deployment.anchorContract, root, 42)).wait())!;
  return { provider, signer, deployment, root, receipt };
}

afterEach(() => {
  for (const provider of providers.splice(0)) provider.destroy();
});

afterAll(async () => {
  await Promise.all(started.map((anvil) => anvil.stop()));
  for (const dir of dataDirs) {
    for (const pid of anvilProcessesOf(dir)) process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('startEmbeddedAnvil', { timeout: 30_000 }, () => {
  it('serves chain 31337 on loopback, records its pid, and stop() saves state and removes the pid file', async () => {
    const dataDir = newDataDir();
    const anvil = await start({ dataDir });
    expect(anvil.rpcUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(anvil.chainId).toBe(31337);
    const pidFile = path.join(dataDir, 'chain', 'anvil.pid');
    expect(fs.readFileSync(pidFile, 'utf8').trim()).toBe(String(anvil.pid));
    expect(anvilProcessesOf(dataDir)).toEqual([anvil.pid]);

    await anvil.stop();
    await anvil.stop(); // idempotent
    expect(anvilProcessesOf(dataDir)).toEqual([]);
    expect(fs.existsSync(pidFile)).toBe(false);
    expect(JSON.parse(fs.readFileSync(stateFile(dataDir), 'utf8'))).toHaveProperty('blocks');
  });

  it('keeps contracts, anchorings and their logs across stop and start', async () => {
    const dataDir = newDataDir();
    const first = await start({ dataDir });
    const anchored = await anchorSomething(first, dataDir);
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, 'chain', 'deployment.json'), 'utf8'))).toEqual(anchored.deployment);
    expect(await anchored.provider.getBalance(anchored.signer.address)).toBeGreaterThanOrEqual(parseEther('100') - parseEther('0.01'));
    const anchoring = await readAnchoring(anchored.provider, anchored.deployment.anchorContract, anchored.root);
    expect(anchoring).not.toBeNull();
    await first.stop(); // right after the anchor: the SIGTERM dump, not the 1 s interval, must have it

    const logger = capturingLogger();
    const second = await start({ dataDir, logger });
    const { provider, funder } = connect(second);
    const deployment = await ensureEmbeddedDeployment({ dataDir, provider, funder, signerAddress: anchored.signer.address, logger });
    expect(deployment).toEqual(anchored.deployment);
    expect(logger.warnings).toEqual([]);
    expect(await provider.getCode(deployment.anchorContract)).not.toBe('0x');
    expect(await provider.getCode(deployment.didRegistry)).not.toBe('0x');
    expect(await readAnchoring(provider, deployment.anchorContract, anchored.root)).toEqual(anchoring);
    expect(await findAnchoringEvent(provider, deployment.anchorContract, anchored.root, anchoring!.blockNumber)).toMatchObject({
      transactionHash: anchored.receipt.hash,
      blockHash: anchored.receipt.blockHash,
    });
    await second.stop();
  });

  it('redeploys with a warning when the chain was reset', async () => {
    const dataDir = newDataDir();
    const first = await start({ dataDir });
    const anchored = await anchorSomething(first, dataDir);
    await first.stop();
    fs.rmSync(stateFile(dataDir));
    fs.rmSync(path.join(dataDir, 'chain', 'anvil-state.backup.json'));

    const logger = capturingLogger();
    const second = await start({ dataDir, logger });
    const { provider, funder } = connect(second);
    const deployment: EmbeddedDeployment = await ensureEmbeddedDeployment({
      dataDir, provider, funder, signerAddress: anchored.signer.address, logger,
    });
    expect(logger.warnings.join('\n')).toMatch(/no longer holds the contracts/);
    expect(await provider.getCode(deployment.anchorContract)).not.toBe('0x');
    expect(await readAnchoring(provider, deployment.anchorContract, anchored.root)).toBeNull();
    await second.stop();
  });

  it('stops an Anvil left running by a crashed earlier run of the same data directory', async () => {
    const dataDir = newDataDir();
    // Never stopped and never restarted: its parent "crashed".
    const forgotten = await startEmbeddedAnvil({ dataDir, restartLimit: 0 });
    const anchored = await anchorSomething(forgotten, dataDir);

    const logger = capturingLogger();
    const replacement = await start({ dataDir, logger });
    expect(replacement.pid).not.toBe(forgotten.pid);
    expect(logger.warnings.join('\n')).toContain(`stopping Anvil ${forgotten.pid}`);
    expect(anvilProcessesOf(dataDir)).toEqual([replacement.pid]);
    // The stale Anvil saved its state on SIGTERM, so nothing it anchored is lost.
    const { provider } = connect(replacement);
    expect(await readAnchoring(provider, anchored.deployment.anchorContract, anchored.root)).not.toBeNull();

    await replacement.stop();
    expect(anvilProcessesOf(dataDir)).toEqual([]);
  });

  it.runIf(fs.existsSync('/usr/bin/setpriv') || fs.existsSync('/bin/setpriv'))(
    'does not outlive a parent killed with SIGKILL',
    async () => {
      const dataDir = newDataDir();
      const parent = spawn(
        process.execPath,
        [
          '-e',
          `require('tsx/cjs/api').register();
           require(${JSON.stringify(path.join(PROJECT_ROOT, 'src/platform/chain/embedded-anvil/embedded-anvil.ts'))})
             .startEmbeddedAnvil({ dataDir: process.env.TEST_DATA_DIR })
             .then((anvil) => { console.log(anvil.pid); setInterval(() => {}, 60_000); });`,
        ],
        { cwd: PROJECT_ROOT, env: { ...process.env, TEST_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      const anvilPid = await new Promise<number>((resolve, reject) => {
        parent.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
        parent.once('exit', (code) => reject(new Error(`parent exited early (${code})`)));
      });
      expect(anvilProcessesOf(dataDir)).toEqual([anvilPid]);

      parent.kill('SIGKILL');
      expect(await eventually(() => anvilProcessesOf(dataDir).length === 0)).toBe(true);
      const next = await start({ dataDir }); // the leftover pid file is harmless
      expect(anvilProcessesOf(dataDir)).toEqual([next.pid]);
      await next.stop();
    },
  );

  it('keeps what was saved after the last block when Anvil is killed with SIGKILL', async () => {
    const dataDir = newDataDir();
    const first = await start({ dataDir });
    const anchored = await anchorSomething(first, dataDir);
    // The state file holds the transactions, so the root appears in it once a save after the block ran.
    const dumped = () => fs.existsSync(stateFile(dataDir)) && fs.readFileSync(stateFile(dataDir), 'utf8').includes(anchored.root);
    expect(await eventually(dumped, 3_000)).toBe(true);
    process.kill(first.pid, 'SIGKILL');
    await first.stop(); // copes with a child that is already dead

    const second = await start({ dataDir });
    const { provider } = connect(second);
    expect(await readAnchoring(provider, anchored.deployment.anchorContract, anchored.root)).not.toBeNull();
    await second.stop();
  });

  it('restarts an Anvil killed while the service runs, on the same URL, from what was saved', async () => {
    const dataDir = newDataDir();
    const logger = capturingLogger();
    let restarts = 0;
    const anvil = await start({ dataDir, logger, onRestart: () => restarts++ });
    const anchored = await anchorSomething(anvil, dataDir);
    const dumped = () => fs.existsSync(stateFile(dataDir)) && fs.readFileSync(stateFile(dataDir), 'utf8').includes(anchored.root);
    expect(await eventually(dumped, 3_000)).toBe(true);
    const killed = anvil.pid;
    process.kill(killed, 'SIGKILL');
    expect(await eventually(() => restarts === 1, 15_000)).toBe(true);
    expect(anvil.pid).not.toBe(killed);
    expect(anvilProcessesOf(dataDir)).toEqual([anvil.pid]);
    const { provider } = connect(anvil);
    expect(await readAnchoring(provider, anchored.deployment.anchorContract, anchored.root)).not.toBeNull();
    expect(logger.warnings.join('\n')).toMatch(/exited \(signal SIGKILL\)[\s\S]*restarted the embedded Anvil/);
    await anvil.stop();
    expect(anvilProcessesOf(dataDir)).toEqual([]);
  });

  it('stops restarting an Anvil that keeps dying, and says so', async () => {
    const dataDir = newDataDir();
    const logger = capturingLogger();
    let restarts = 0;
    const anvil = await start({ dataDir, logger, restartLimit: 1, onRestart: () => restarts++ });
    process.kill(anvil.pid, 'SIGKILL');
    expect(await eventually(() => restarts === 1, 15_000)).toBe(true);
    process.kill(anvil.pid, 'SIGKILL');
    expect(await eventually(() => logger.warnings.some((w) => w.includes('not restarting it again')), 15_000)).toBe(true);
    expect(restarts).toBe(1);
    expect(await eventually(() => anvilProcessesOf(dataDir).length === 0)).toBe(true);
    await anvil.stop();
  });

  it('saves the state after new blocks only: an idle chain is not rewritten', async () => {
    const dataDir = newDataDir();
    const anvil = await start({ dataDir });
    const anchored = await anchorSomething(anvil, dataDir);
    const file = stateFile(dataDir);
    expect(await eventually(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes(anchored.root), 3_000)).toBe(true);
    const saved = fs.statSync(file);
    const written = () => Number(/^wchar: (\d+)$/m.exec(fs.readFileSync(`/proc/${anvil.pid}/io`, 'utf8'))![1]);
    const writtenBefore = written();
    // Idle for more than two save periods: neither this process nor Anvil writes the state again.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const idle = fs.statSync(file);
    expect([idle.ino, idle.mtimeMs, idle.size]).toEqual([saved.ino, saved.mtimeMs, saved.size]);
    expect(written() - writtenBefore).toBeLessThan(saved.size);
    // A new block is saved within about a second, whole (written aside, then renamed over the file).
    const { provider } = connect(anvil);
    await provider.send('evm_mine', []);
    expect(await eventually(() => fs.statSync(file).ino !== saved.ino, 3_000)).toBe(true);
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as { blocks: unknown[] };
    expect(state.blocks.length).toBeGreaterThan(0);
    expect(fs.readdirSync(path.join(dataDir, 'chain')).filter((name) => name.endsWith('.saving'))).toEqual([]);
    await anvil.stop();
  });

  it('recovers from a state file torn in mid-write, from the copy of the last clean stop', async () => {
    const dataDir = newDataDir();
    const first = await start({ dataDir });
    const anchored = await anchorSomething(first, dataDir);
    await first.stop();
    const state = fs.readFileSync(stateFile(dataDir));
    fs.writeFileSync(stateFile(dataDir), state.subarray(0, state.length >> 1)); // what kill -9 mid-dump leaves

    const logger = capturingLogger();
    const second = await start({ dataDir, logger });
    expect(logger.warnings.join('\n')).toMatch(/state file was damaged/);
    expect(fs.readdirSync(path.join(dataDir, 'chain')).some((name) => name.includes('.damaged-'))).toBe(true);
    const { provider } = connect(second);
    expect(await readAnchoring(provider, anchored.deployment.anchorContract, anchored.root)).not.toBeNull();
    await second.stop();
  });

  it('does not take another process answering on its port for its own Anvil', async () => {
    // Another chain took the port between the pick and Anvil's bind: it answers eth_chainId too.
    const impostorCalls: string[] = [];
    const impostor = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        impostorCalls.push((JSON.parse(body) as { method: string }).method);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: '0x7a69' }));
      });
    });
    await new Promise<void>((resolve) => impostor.listen(0, '127.0.0.1', resolve));
    const takenPort = (impostor.address() as AddressInfo).port;
    try {
      const ports = [takenPort];
      const logger = capturingLogger();
      const dataDir = newDataDir();
      const anvil = await start({ dataDir, logger, pickPort: async () => ports.shift() ?? findFreePort() });
      expect(impostorCalls).toContain('eth_chainId');
      expect(anvil.rpcUrl).not.toBe(`http://127.0.0.1:${takenPort}`);
      expect(logger.warnings).toEqual([`port ${takenPort} was taken by another process before Anvil could bind it; starting Anvil on another port`]);
      // The chain it returns is its own Anvil's: it mines, and it is the one process of this data directory.
      const { provider } = connect(anvil);
      await provider.send('evm_mine', []);
      expect(await provider.getBlockNumber()).toBeGreaterThanOrEqual(1);
      expect(anvilProcessesOf(dataDir)).toEqual([anvil.pid]);
      expect(ownsListeningSocket(anvil.pid, Number(new URL(anvil.rpcUrl).port))).toBe(true);
      expect(ownsListeningSocket(anvil.pid, takenPort)).toBe(false);
      expect(ownsListeningSocket(process.pid, takenPort)).toBe(true);
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });

  it('fails with Anvil\'s own message when it cannot start, leaving no pid file', async () => {
    const dataDir = newDataDir();
    const failure = startEmbeddedAnvil({ dataDir, extraArgs: ['--no-such-flag'] });
    await expect(failure).rejects.toBeInstanceOf(EmbeddedAnvilError);
    await expect(failure).rejects.toThrow(/--no-such-flag/);
    expect(fs.existsSync(path.join(dataDir, 'chain', 'anvil.pid'))).toBe(false);
    expect(anvilProcessesOf(dataDir)).toEqual([]);
  });
});
