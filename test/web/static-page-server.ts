// The verification page served on its own, with no service behind it: what a person gets from a
// saved or separately hosted copy of the page.
import type { AddressInfo } from 'node:net';
import http from 'node:http';
import express from 'express';
import { webRoutes } from '../../src/web/routes';

export async function startStaticPageServer(): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  webRoutes(app, {
    onBuildError: (error) => {
      throw error;
    },
  });
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
