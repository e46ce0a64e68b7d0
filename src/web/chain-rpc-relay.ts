// A read-only JSON-RPC relay for the page's two chain reads, for chains a browser cannot reach itself:
// the embedded Anvil listens on loopback with CORS off, so that no web page can call its anvil_*
// methods. The relay forwards only eth_chainId, eth_blockNumber, anchorOf calls to the anchor contract
// and one-block RootAnchored log queries; every other request is refused without reaching the chain.
import type { RequestHandler } from 'express';
import { ANCHOR_OF_SELECTOR, ROOT_ANCHORED_TOPIC } from './browser/anchor-contract-calls';

export interface ChainRpcRelayOptions {
  /** The chain's JSON-RPC URL as the server reaches it (e.g. the embedded Anvil's loopback URL). */
  upstreamUrl: string;
  /** The only contract the relay lets the page read. */
  anchorContract: string;
  /** Per forwarded request (default 10 s). */
  timeoutMs?: number;
}

type RelayDecision = { forward: { method: string; params: unknown[] } } | { refuse: { code: number; message: string } };

const JSON_RPC_INVALID_REQUEST = -32600;
const JSON_RPC_METHOD_NOT_FOUND = -32601;
const JSON_RPC_INVALID_PARAMS = -32602;
const JSON_RPC_INTERNAL_ERROR = -32603;
const QUANTITY = /^0x(0|[1-9a-f][0-9a-f]{0,15})$/;
const BLOCK_TAGS = new Set(['latest', 'safe', 'finalized']);

/** Express handler for POST <relay path>; expects a JSON body already parsed (or parses none itself). */
export function chainRpcRelay(options: ChainRpcRelayOptions): RequestHandler {
  const contract = options.anchorContract.toLowerCase();
  const timeoutMs = options.timeoutMs ?? 10_000;
  return async (req, res) => {
    const body: unknown = req.body;
    const id = responseId(body);
    const decision = decide(body, contract);
    if ('refuse' in decision) {
      res.json({ jsonrpc: '2.0', id, error: decision.refuse });
      return;
    }
    let upstream: { result?: unknown; error?: { code?: unknown; message?: unknown } };
    try {
      const response = await fetch(options.upstreamUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...decision.forward }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      upstream = (await response.json()) as typeof upstream;
    } catch {
      res.status(502).json({ jsonrpc: '2.0', id, error: { code: JSON_RPC_INTERNAL_ERROR, message: 'the chain did not answer the relay' } });
      return;
    }
    if (upstream.error !== undefined) {
      const code = typeof upstream.error.code === 'number' ? upstream.error.code : JSON_RPC_INTERNAL_ERROR;
      res.json({ jsonrpc: '2.0', id, error: { code, message: String(upstream.error.message ?? 'error').slice(0, 300) } });
      return;
    }
    res.json({ jsonrpc: '2.0', id, result: upstream.result ?? null });
  };
}

function decide(body: unknown, contract: string): RelayDecision {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalidRequest('the relay takes one JSON-RPC request object (no batches)');
  const { jsonrpc, method, params = [] } = body as { jsonrpc?: unknown; method?: unknown; params?: unknown };
  if (jsonrpc !== '2.0' || typeof method !== 'string') return invalidRequest('not a JSON-RPC 2.0 request');
  if (!Array.isArray(params)) return invalidRequest('params must be an array');
  switch (method) {
    case 'eth_chainId':
    case 'eth_blockNumber':
      return params.length === 0 ? { forward: { method, params: [] } } : invalidParams(`${method} takes none`);
    case 'eth_call': {
      const [call, tag = 'latest'] = params as [unknown, unknown];
      const { to, data } = (typeof call === 'object' && call !== null ? call : {}) as { to?: unknown; data?: unknown };
      if (typeof to !== 'string' || to.toLowerCase() !== contract) return invalidParams(`the relay only calls the anchor contract ${contract}`);
      if (typeof data !== 'string' || !new RegExp(`^${ANCHOR_OF_SELECTOR}[0-9a-fA-F]{64}$`).test(data)) {
        return invalidParams('the relay only calls anchorOf(bytes32)');
      }
      if (typeof tag !== 'string' || !(BLOCK_TAGS.has(tag) || QUANTITY.test(tag))) return invalidParams('bad block tag');
      return { forward: { method, params: [{ to: contract, data: data.toLowerCase() }, tag] } };
    }
    case 'eth_getLogs': {
      const filter = (typeof params[0] === 'object' && params[0] !== null ? params[0] : {}) as Record<string, unknown>;
      const { address, topics, fromBlock, toBlock } = filter;
      if (typeof address !== 'string' || address.toLowerCase() !== contract) return invalidParams(`the relay only reads logs of the anchor contract ${contract}`);
      if (!Array.isArray(topics) || topics.length !== 2 || topics[0] !== ROOT_ANCHORED_TOPIC || typeof topics[1] !== 'string' || !/^0x[0-9a-f]{64}$/.test(topics[1])) {
        return invalidParams('the relay only reads RootAnchored logs of one root');
      }
      if (typeof fromBlock !== 'string' || !QUANTITY.test(fromBlock) || fromBlock !== toBlock) {
        return invalidParams('the relay only reads logs of one block (fromBlock = toBlock, a number)');
      }
      return { forward: { method, params: [{ address: contract, topics: [ROOT_ANCHORED_TOPIC, topics[1]], fromBlock, toBlock }] } };
    }
    default:
      return { refuse: { code: JSON_RPC_METHOD_NOT_FOUND, message: `the relay does not forward ${method.slice(0, 60)}` } };
  }
}

function invalidRequest(message: string): RelayDecision {
  return { refuse: { code: JSON_RPC_INVALID_REQUEST, message } };
}

function invalidParams(message: string): RelayDecision {
  return { refuse: { code: JSON_RPC_INVALID_PARAMS, message } };
}

function responseId(body: unknown): string | number | null {
  const id = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
  if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  if (typeof id === 'string' && id.length <= 100) return id;
  return null;
}
