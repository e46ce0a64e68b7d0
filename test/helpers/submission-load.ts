// Streaming submissions against live service processes, as the durability, replica and soak runs
// need: small requests of random documents from a few concurrent clients, spread over whatever
// replicas are alive, counting only what was acknowledged (202).
import { randomBytes } from 'node:crypto';
import { api, isAlive, type ServiceProcess } from './service-process';

export interface SubmissionLoad {
  /** Every document hash (hex) some replica answered 202 for. */
  readonly acknowledged: Set<string>;
  /** Stops the clients and waits until the requests in flight have settled. */
  stop(): Promise<void>;
}

/** Starts `clients` loops sending 1 to `maxPerRequest` documents per request to the live `targets()`. */
export function startSubmissionLoad(targets: () => ServiceProcess[], options: { clients?: number; maxPerRequest?: number; acknowledged?: Set<string> } = {}): SubmissionLoad {
  const acknowledged = options.acknowledged ?? new Set<string>();
  const maxPerRequest = options.maxPerRequest ?? 20;
  let stopped = false;
  let turn = 0;
  const client = async () => {
    while (!stopped) {
      const live = targets().filter(isAlive);
      const target = live[turn++ % Math.max(1, live.length)];
      if (!target) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        continue;
      }
      const hashes = Array.from({ length: 1 + (turn % maxPerRequest) }, () => randomBytes(32).toString('hex'));
      try {
        const response = await api(target, 'POST', '/v1/documents', { hashes });
        if (response.status === 202) for (const hash of hashes) acknowledged.add(hash);
      } catch {
        // The process died under the request: not acknowledged. Give the event loop a turn.
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
  };
  const running = Promise.all(Array.from({ length: options.clients ?? 4 }, client));
  return {
    acknowledged,
    async stop() {
      stopped = true;
      await running;
    },
  };
}
