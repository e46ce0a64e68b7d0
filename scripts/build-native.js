// `npm ci` / `npm install` (the "prepare" script): builds the optional native SHA-256 in native/ with
// the node-gyp that npm ships, against this Node's own headers. It never downloads headers and never
// fails the install: where headers, node-gyp or a compiler are missing, the service hashes trees with
// its WebAssembly SIMD code instead (src/notarization/native-merkle-hasher.ts says which, at start).
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const skip = (why) => {
  process.stderr.write(`did-notary: native SHA-256 not built (${why}); Merkle trees use WebAssembly SIMD hashing\n`);
  process.exit(0);
};

try {
  const nodeDir = path.resolve(path.dirname(process.execPath), '..');
  const headers = path.join(nodeDir, 'include', 'node');
  const nodeGyp = process.env.npm_config_node_gyp;
  const nativeDir = path.join(__dirname, '..', 'native');
  if (process.env.DID_NOTARY_NATIVE === 'off') skip('DID_NOTARY_NATIVE=off');
  if (!fs.existsSync(path.join(nativeDir, 'binding.gyp'))) skip(`${nativeDir} is missing`);
  if (!nodeGyp || !fs.existsSync(nodeGyp)) skip("npm's node-gyp was not found; run through npm");
  for (const header of ['node_api.h', path.join('openssl', 'sha.h')]) {
    if (!fs.existsSync(path.join(headers, header))) skip(`${path.join(headers, header)} is missing`);
  }
  // Already built from these sources (npm pack runs this again): nothing to do.
  const addon = path.join(nativeDir, 'build', 'Release', 'merkle_sha256.node');
  const newest = Math.max(...['merkle-sha256.c', 'binding.gyp'].map((file) => fs.statSync(path.join(nativeDir, file)).mtimeMs));
  if (fs.existsSync(addon) && fs.statSync(addon).mtimeMs >= newest) process.exit(0);
  // The compiler's chatter goes to stderr: stdout may be a caller's (npm pack --json).
  const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--silent', `--nodedir=${nodeDir}`, `--directory=${nativeDir}`], {
    stdio: ['ignore', process.stderr, 'inherit'],
  });
  if (build.status !== 0) skip(`node-gyp exited with ${build.status ?? build.signal}`);
} catch (error) {
  skip(error instanceof Error ? error.message : String(error));
}
