// A TCP proxy in front of a chain's RPC port, for injecting the faults a real chain has: it forwards,
// refuses connections (the endpoint is down), or accepts them and never answers (a stalled endpoint).
import net from 'node:net';

export type ProxyMode = 'forward' | 'refuse' | 'stall';

export interface RpcFaultProxy {
  url: string;
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port that forwards to `targetUrl` until told otherwise. */
export async function startRpcFaultProxy(targetUrl: string): Promise<RpcFaultProxy> {
  const target = new URL(targetUrl);
  let mode: ProxyMode = 'forward';
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    if (mode === 'stall') return; // hold the connection, answer nothing
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const dropConnections = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    async setMode(next) {
      mode = next;
      dropConnections();
      if (next === 'refuse' && server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
      if (next !== 'refuse' && !server.listening) await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    async close() {
      dropConnections();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
