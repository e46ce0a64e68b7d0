// The browser the page tests drive: a system Chromium when CHROMIUM_PATH names one, otherwise the
// Chromium that the npm package @sparticuz/chromium ships inside itself, so `npm install` alone is
// enough (no apt step, no download at test time).
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

/** The Chromium executable: `CHROMIUM_PATH`, else the packaged one (unpacked to the temp dir on first use). */
export async function chromiumExecutable(): Promise<string> {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) return configured;
  return chromiumPackage.executablePath();
}
