// `did-notary monitor --server URL --rpc URL`: checks a did-notary service's transparency log
// against what this monitor saw before and against the chain (docs/transparency-log.md), keeping
// what it verified in a state file; exit 0 when the log kept its promises, 1 with a report when not.
import fs from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { JsonRpcProvider } from 'ethers';
import type { Anchoring } from '../core/receipts/verify';
import { readAnchoring } from '../platform/chain/anchor-contract';
import { auditLog, type LogEntry, type MonitorClient, type MonitorState } from './log-audit';
import { createProgress, type Progress } from './progress';
import { serverOption } from './service-options';

const EXIT_OK = 0;
const EXIT_PROBLEM = 1;
const EXIT_USAGE = 2;

export function registerMonitorCommand(program: Command): void {
  program
    .command('monitor')
    .description("check a service's transparency log: consistent with what was seen before, and with the chain (exit 0 ok, 1 problem found, 2 usage error)")
    .addOption(serverOption().makeOptionMandatory())
    .addOption(new Option('--rpc <urls...>', 'JSON-RPC URL of each anchoring chain to check against (the chain id is asked)').env('DID_NOTARY_RPC_URL'))
    .option('--state <file>', 'where the last verified checkpoint and the batch roots seen are kept', '.did-notary-monitor.json')
    .option('--key <vkey>', 'the log verifier key to trust (default: the one pinned in the state file, else the one /v1/info publishes on the first run)')
    .addHelpText(
      'after',
      '\nRun it on a schedule; it remembers the last checkpoint it verified in --state.\nExample:\n' +
        '  did-notary monitor --server https://notary.example --rpc https://sepolia.example/rpc \\\n' +
        '    --state notary-monitor.json\n',
    )
    .action(async (options: { server: string; rpc?: string[]; state: string; key?: string }) => {
      if (!options.rpc || options.rpc.length === 0) fail(EXIT_USAGE, '--rpc <url> (or DID_NOTARY_RPC_URL) is required: anchorings are checked on the chain itself');
      const state = readState(options.state);
      const providers: JsonRpcProvider[] = [];
      try {
        const chains = new Map<string, (root: string) => Promise<Anchoring | null>>();
        for (const url of options.rpc!.flatMap((u) => u.split(',')).filter(Boolean)) {
          const provider = new JsonRpcProvider(url, undefined, { cacheTimeout: -1, batchMaxCount: 1 });
          providers.push(provider);
          let chainId: number;
          try {
            chainId = Number((await provider.getNetwork()).chainId);
          } catch (error) {
            fail(EXIT_USAGE, `cannot reach the chain at ${url}: ${(error as Error).message.slice(0, 200)}`);
          }
          chains.set(`eip155:${chainId}`, (root) => contractLookup(options.server, provider, `eip155:${chainId}`, root));
        }
        let progress: Progress | undefined;
        let read = 0;
        const result = await auditLog(httpClient(options.server, chains), state, {
          pinnedKey: options.key,
          onProgress: (done, total) => {
            progress ??= createProgress('reading log entries', total);
            progress.tick(done - read);
            read = done;
          },
        });
        progress?.done();
        if (result.problems.length > 0) {
          console.log(`PROBLEMS in the transparency log of ${options.server} (${result.problems.length}):`);
          for (const problem of result.problems) console.log(`${problem.kind.toUpperCase()}: ${problem.message}`);
          console.log(`the state in ${options.state} was left as it was: it holds the last checkpoint that verified`);
          process.exitCode = EXIT_PROBLEM;
          return;
        }
        writeState(options.state, result.next);
        for (const note of result.notes) console.log(`OK: ${note}`);
        process.exitCode = EXIT_OK;
      } finally {
        for (const provider of providers) provider.destroy();
      }
    });
}

/** The anchor contract of a chain comes from the service's entries; the lookup asks that contract. */
const contracts = new Map<string, string>();

async function contractLookup(server: string, provider: JsonRpcProvider, chain: string, root: string): Promise<Anchoring | null> {
  let contract = contracts.get(chain);
  if (!contract) {
    const info = (await getJson(server, '/v1/info')) as { chain: string; contracts: { anchor: string }; chains?: Array<{ chain: string; contract: string }> };
    for (const entry of info.chains ?? []) contracts.set(entry.chain, entry.contract);
    if (!contracts.has(info.chain)) contracts.set(info.chain, info.contracts.anchor);
    contract = contracts.get(chain);
    if (!contract) throw new Error(`the service names no anchor contract on ${chain}`);
  }
  return readAnchoring(provider, contract, root);
}

function httpClient(server: string, chains: MonitorClient['chains']): MonitorClient {
  return {
    chains,
    info: () => getJson(server, '/v1/info') as ReturnType<MonitorClient['info']>,
    async checkpoint() {
      const response = await request(server, '/v1/log/checkpoint');
      return response.text();
    },
    async consistency(from, to) {
      return ((await getJson(server, `/v1/log/proofs/consistency?from=${from}&to=${to}`)) as { proof: string[] }).proof;
    },
    async entries(start, end) {
      return ((await getJson(server, `/v1/log/entries?start=${start}&end=${end}`)) as { entries: LogEntry[] }).entries;
    },
  };
}

async function request(server: string, pathname: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(new URL(pathname, server));
  } catch (error) {
    fail(EXIT_USAGE, `cannot reach ${server}: ${(error as Error).message}`);
  }
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { detail?: string };
    throw new Error(`GET ${pathname}: ${response.status} ${problem.detail ?? response.statusText}`);
  }
  return response;
}

async function getJson(server: string, pathname: string): Promise<unknown> {
  return (await request(server, pathname)).json();
}

function readState(file: string): MonitorState | undefined {
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as MonitorState;
  } catch (error) {
    fail(EXIT_USAGE, `cannot read the state file ${file}: ${(error as Error).message}`);
  }
}

/** Written to a temporary file and renamed: a monitor killed mid-write keeps its last state. */
function writeState(file: string, state: MonitorState): void {
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, `${JSON.stringify(state)}\n`);
  fs.renameSync(temporary, file);
}

function fail(code: number, message: string): never {
  process.stderr.write(`did-notary: ${message}\n`);
  process.exit(code);
}
