// The browser the page tests drive: a system Chromium when CHROMIUM_PATH names one, otherwise the
// Chromium that the npm package @sparticuz/chromium ships inside itself, so `npm install` alone is
// enough (no apt step, no download at test time).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import chromiumPackage from '@sparticuz/chromium';

/**
 * Flags for a headless Chromium on a machine with a closed network: without the background-networking
 * flags it keeps opening connections the sandbox refuses. The package's own `args` are not used: they
 * turn off web security, which the page's CSP and cross-origin tests must see enforced.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * The Chromium executable: `CHROMIUM_PATH`, else the packaged one, unpacked to the temp dir on first
 * use. The package takes any file already there as complete. So the unpacking is done by one test
 * worker at a time (a lock directory), and a binary that does not start is unpacked again. Without
 * these, a worker could launch the file another one was still writing, or the file left by a test
 * run killed mid-unpacking, which segfaults.
 */
export async function chromiumExecutable(): Promise<string> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return configured;
  return withUnpackingLock(async () => {
    const executable = await chromiumPackage.executablePath();
    if (starts(executable)) return executable;
    fs.rmSync(executable, { force: true });
    const unpacked = await chromiumPackage.executablePath();
    if (!starts(unpacked)) throw new Error(`the packaged Chromium at ${unpacked} does not start, even unpacked again`);
    return unpacked;
  });
}

function starts(executable: string): boolean {
  return spawnSync(executable, ['--version'], { timeout: 30_000, stdio: 'ignore' }).status === 0;
}

const LOCK = path.join(os.tmpdir(), 'did-notary-chromium-unpacking.lock');
/** A lock older than this was left by a killed process (unpacking takes about 10 s). */
const STALE_LOCK_MS = 5 * 60_000;

async function withUnpackingLock<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const age = Date.now() - (fs.statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > STALE_LOCK_MS) fs.rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    return await work();
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}
