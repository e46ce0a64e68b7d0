// Compiled contracts the service deploys: our DocumentAnchor (built by `npm run compile` into
// artifacts/) and the ERC-1056 DID registry shipped precompiled by the ethr-did-registry package.
import fs from 'node:fs';
import path from 'node:path';
import type { InterfaceAbi } from 'ethers';
import { DomainError } from '../../core/errors';

/** What deploying a contract needs from a Hardhat-format artifact. */
export interface ContractArtifact {
  contractName: string;
  abi: InterfaceAbi;
  /** Creation bytecode, `0x`-prefixed. */
  bytecode: string;
  /** Runtime bytecode, `0x`-prefixed: what `eth_getCode` returns after deployment. */
  deployedBytecode: string;
}

/** A compiled contract is missing or unreadable; the message says which command produces it. */
export class ContractArtifactError extends DomainError<'CONTRACT_ARTIFACT_MISSING'> {
  constructor(message: string, options?: ErrorOptions) {
    super('CONTRACT_ARTIFACT_MISSING', message, undefined, options);
  }
}

const PROJECT_ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * The DocumentAnchor artifact from `<project>/artifacts/` (or `artifactsDir`). It is a build
 * output, not committed, so a missing file means `npm run compile` was not run.
 */
export function loadDocumentAnchorArtifact(artifactsDir = path.join(PROJECT_ROOT, 'artifacts')): ContractArtifact {
  const file = path.join(artifactsDir, 'contracts', 'DocumentAnchor.sol', 'DocumentAnchor.json');
  if (!fs.existsSync(file)) {
    throw new ContractArtifactError(
      `DocumentAnchor is not compiled (${file} is missing): run \`npm run compile\` first.`,
    );
  }
  return readArtifact(file, 'run `npm run compile` again');
}

/**
 * The EthereumDIDRegistry (ERC-1056) artifact of the ethr-did-registry package, for deploying the
 * registry on the embedded chain. Read by file path: the package's `exports` forbid a deep require.
 */
export function loadDidRegistryArtifact(): ContractArtifact {
  let packageDir: string;
  try {
    packageDir = packageRootOf(require.resolve('ethr-did-registry'), 'ethr-did-registry');
  } catch (error) {
    throw new ContractArtifactError('ethr-did-registry is not installed: run `npm install`.', { cause: error });
  }
  const file = path.join(packageDir, 'artifacts', 'contracts', 'EthereumDIDRegistry.sol', 'EthereumDIDRegistry.json');
  return readArtifact(file, 'reinstall ethr-did-registry');
}

function readArtifact(file: string, remedy: string): ContractArtifact {
  let parsed: Partial<Record<keyof ContractArtifact, unknown>>;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof parsed;
  } catch (error) {
    throw new ContractArtifactError(`cannot read contract artifact ${file}: ${remedy}.`, { cause: error });
  }
  const { contractName, abi, bytecode, deployedBytecode } = parsed;
  if (
    typeof contractName !== 'string' ||
    !Array.isArray(abi) ||
    !isCode(bytecode) ||
    !isCode(deployedBytecode)
  ) {
    throw new ContractArtifactError(`contract artifact ${file} lacks abi or bytecode: ${remedy}.`);
  }
  return { contractName, abi, bytecode, deployedBytecode };
}

function isCode(value: unknown): value is string {
  return typeof value === 'string' && /^0x[0-9a-fA-F]+$/.test(value);
}

/** Walks up from a file resolved inside a package to the directory whose package.json names it. */
function packageRootOf(resolvedFile: string, packageName: string): string {
  for (let dir = path.dirname(resolvedFile); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: unknown }).name === packageName) {
      return dir;
    }
  }
  throw new Error(`no package.json named ${packageName} above ${resolvedFile}`);
}
