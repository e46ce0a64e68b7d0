// Installing a packed did-notary into a fresh project without the network: the project gets a
// package-lock.json whose registry packages are the repository's own locked ones (same versions,
// URLs and integrity), so `npm ci --offline` takes every tarball from the npm cache that the
// repository's `npm ci` filled, and asks the registry for nothing (not even package metadata, which
// `npm ci` never cached and `npm install --offline` would need).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

interface LockEntry {
  version?: string;
  resolved?: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [field: string]: unknown;
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/**
 * Writes `package.json` and `package-lock.json` into `projectDir` for a project that depends on the
 * packed tarball at `tarball` and on `alsoFromRepository` (names the repository's lock resolves).
 * Returns the names of every package the lock installs.
 */
export function writeOfflineProject(projectDir: string, options: { repositoryRoot: string; tarball: string; packedManifest: Manifest; alsoFromRepository: string[] }): string[] {
  const repositoryLock = JSON.parse(fs.readFileSync(path.join(options.repositoryRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const { packedManifest: manifest } = options;
  const tarballSpec = `file:${path.relative(projectDir, options.tarball).split(path.sep).join('/')}`;
  const rootDependencies: Record<string, string> = { [manifest.name]: tarballSpec };
  for (const name of options.alsoFromRepository) rootDependencies[name] = repositoryLock.packages[`node_modules/${name}`]!.version!;

  const packages: Record<string, LockEntry> = {
    '': { name: 'did-notary-consumer', version: '1.0.0', dependencies: rootDependencies },
    [`node_modules/${manifest.name}`]: {
      version: manifest.version,
      resolved: tarballSpec,
      integrity: `sha512-${createHash('sha512').update(fs.readFileSync(options.tarball)).digest('base64')}`,
      ...(manifest.dependencies ? { dependencies: manifest.dependencies } : {}),
      ...(manifest.peerDependencies ? { peerDependencies: manifest.peerDependencies } : {}),
      ...(manifest.peerDependenciesMeta ? { peerDependenciesMeta: manifest.peerDependenciesMeta } : {}),
    },
  };
  // Each dependency where Node would find it from the package that needs it, in the repository's tree.
  const pending: Array<{ from: string; name: string }> = [
    ...Object.keys(manifest.dependencies ?? {}).map((name) => ({ from: `node_modules/${manifest.name}`, name })),
    ...options.alsoFromRepository.map((name) => ({ from: '', name })),
  ];
  while (pending.length > 0) {
    const { from, name } = pending.pop()!;
    const location = resolveInRepository(repositoryLock.packages, from, name);
    if (location === undefined) throw new Error(`the repository's lock has no ${name} for ${from || 'the root'}`);
    if (packages[location]) continue;
    const { dev: _dev, devOptional: _devOptional, peer: _peer, ...entry } = repositoryLock.packages[location]!;
    // Where the lock names no tarball (npm's omit-lockfile-registry-resolved), the registry's usual
    // one: without it, npm would ask the registry for the package's metadata to find it.
    entry.resolved ??= registryTarball(location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length), entry.version!);
    packages[location] = entry;
    for (const dependency of Object.keys({ ...entry.dependencies, ...entry.optionalDependencies })) pending.push({ from: location, name: dependency });
    for (const [peer, _range] of Object.entries(entry.peerDependencies ?? {})) {
      if (!entry.peerDependenciesMeta?.[peer]?.optional) pending.push({ from: location, name: peer });
    }
  }
  fs.writeFileSync(path.join(projectDir, 'package.json'), `${JSON.stringify({ name: 'did-notary-consumer', version: '1.0.0', private: true, type: 'module', dependencies: rootDependencies }, null, 2)}\n`);
  fs.writeFileSync(
    path.join(projectDir, 'package-lock.json'),
    `${JSON.stringify({ name: 'did-notary-consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
  );
  return Object.keys(packages).filter((location) => location !== '').map((location) => location.replace(/^.*node_modules\//, ''));
}

/** Where `name` resolves from the package at `from` (a lock location): its own node_modules, then each parent's. */
function resolveInRepository(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

/** The npm registry's tarball URL of `name@version` (the cache keeps tarballs by their integrity). */
function registryTarball(name: string, version: string): string {
  return `https://registry.npmjs.org/${name}/-/${name.slice(name.lastIndexOf('/') + 1)}-${version}.tgz`;
}
