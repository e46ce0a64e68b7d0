// `did-notary did resolve <did>`: through a running service (--server), or locally: did:key offline,
// did:web over guarded HTTPS, did:ethr through --rpc-url.
import { Command, Option } from 'commander';
import { DidResolver, resolutionProblem } from '../identity/did/did-resolution';
import { OutboundFetcher } from '../platform/outbound/outbound-fetch';
import { serviceRequest } from './credential';
import { serverOption } from './service-options';

/** ethr-did-resolver's canonical ERC-1056 registry on public chains. */
const CANONICAL_DID_REGISTRY = '0xdca7ef03e98e0dc2b855be647c39abe984fcf21b';

export function registerDidCommands(program: Command): void {
  const did = program.command('did').description('work with DIDs');
  did
    .command('resolve')
    .description('print the DID resolution result of a did:ethr, did:key or did:web DID')
    .argument('<did>', 'the DID to resolve')
    .addOption(serverOption('resolve through this did-notary service instead of locally'))
    .addOption(new Option('--rpc-url <url>', 'JSON-RPC URL of the chain, for did:ethr without --server').env('RPC_URL'))
    .option('--registry <address>', 'ERC-1056 registry address for did:ethr (default: the canonical one)', CANONICAL_DID_REGISTRY)
    .action(async (didToResolve: string, options: { server?: string; rpcUrl?: string; registry: string }) => {
      if (options.server) {
        const result = await serviceRequest<unknown>(options.server, 'GET', `/v1/dids/${encodeURIComponent(didToResolve)}`);
        console.log(JSON.stringify(result, null, 2));
        return;
      }
      const chainId = ethrChainId(didToResolve);
      if (didToResolve.startsWith('did:ethr:') && !options.rpcUrl) throw new Error('did:ethr needs --server or --rpc-url');
      const resolver = new DidResolver({
        ethrNetworks:
          chainId !== undefined && options.rpcUrl
            ? [{ chainId, registry: options.registry, rpcUrl: options.rpcUrl, ...(chainId === 1 ? { name: 'mainnet' } : {}) }]
            : [],
        fetcher: new OutboundFetcher(),
      });
      const result = await resolver.resolve(didToResolve);
      console.log(JSON.stringify(result, null, 2));
      const problem = resolutionProblem(didToResolve, result);
      if (problem && problem.code !== 'deactivated-did') {
        process.stderr.write(`${problem.code}: ${problem.message}\n`);
        process.exitCode = 1;
      }
    });
}

/** The chain id a did:ethr names (`did:ethr:0x7a69:…`); 1 (mainnet) when it names none. */
function ethrChainId(did: string): number | undefined {
  const match = /^did:ethr:(?:(0x[0-9a-fA-F]+|[a-z]+):)?0x[0-9a-fA-F]{40,66}$/.exec(did);
  if (!match) return undefined;
  if (match[1] === undefined || match[1] === 'mainnet') return 1;
  return match[1].startsWith('0x') ? Number.parseInt(match[1], 16) : undefined;
}
