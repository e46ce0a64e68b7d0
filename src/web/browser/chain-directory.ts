// Names and block explorers of well-known EVM chains, for links on the result; unknown chains (and the
// local development chain) get neither, never a guessed URL.

interface KnownChain {
  name: string;
  explorer?: string;
}

const KNOWN_CHAINS: Readonly<Record<number, KnownChain>> = {
  1: { name: 'Ethereum', explorer: 'https://etherscan.io' },
  11155111: { name: 'Ethereum Sepolia (test network)', explorer: 'https://sepolia.etherscan.io' },
  8453: { name: 'Base', explorer: 'https://basescan.org' },
  84532: { name: 'Base Sepolia (test network)', explorer: 'https://sepolia.basescan.org' },
  137: { name: 'Polygon PoS', explorer: 'https://polygonscan.com' },
  10: { name: 'OP Mainnet', explorer: 'https://optimistic.etherscan.io' },
  42161: { name: 'Arbitrum One', explorer: 'https://arbiscan.io' },
  31337: { name: 'Local development chain' },
};

/** The numeric chain id of a CAIP-2 'eip155:<id>' string, or undefined. */
export function eip155ChainId(chain: string): number | undefined {
  const match = /^eip155:([1-9][0-9]{0,15})$/.exec(chain);
  return match ? Number(match[1]) : undefined;
}

/** A readable name for the chain, e.g. 'Base (eip155:8453)'. */
export function chainLabel(chain: string): string {
  const id = eip155ChainId(chain);
  const known = id === undefined ? undefined : KNOWN_CHAINS[id];
  return known ? `${known.name} (${chain})` : chain;
}

/** Explorer links for the chain, or undefined when it has no known explorer. */
export function explorerLinks(chain: string): { block(n: number): string; transaction(hash: string): string; address(a: string): string } | undefined {
  const id = eip155ChainId(chain);
  const base = id === undefined ? undefined : KNOWN_CHAINS[id]?.explorer;
  if (base === undefined) return undefined;
  return {
    block: (n) => `${base}/block/${n}`,
    transaction: (hash) => `${base}/tx/${encodeURIComponent(hash)}`,
    address: (address) => `${base}/address/${encodeURIComponent(address)}`,
  };
}
