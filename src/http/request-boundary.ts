// The last line of defence between one request and the process: an error that escapes every handler
// (an 'error' event nobody listens to on a stream a request created, a throw in a timer it started)
// fails that request, not the service. Each request runs inside an AsyncLocalStorage context, which
// Node carries into the callbacks the request causes (stream events, timers, promise reactions), so
// the process-level handler knows whose error it is. Errors with no request behind them still end
// the process, as Node would end it: there is nobody to answer, and the state may be broken.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../platform/observability/logger';
import { toProblem } from './problems';

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
}

const currentRequest = new AsyncLocalStorage<RequestContext>();

/** Runs every request of `listener` in its own context; a synchronous throw fails only that request. */
export function withRequestBoundary(listener: RequestListener, logger: Logger): RequestListener {
  return (req, res) =>
    currentRequest.run({ req, res }, () => {
      try {
        listener(req, res);
      } catch (error) {
        failRequest({ req, res }, error, logger);
      }
    });
}

/**
 * Installs the process-wide handlers that hand an escaped error to the request it came from. Only the
 * owner of the process (the `serve` command) installs them; returns a function that removes them.
 */
export function installRequestBoundary(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const onError = (error: unknown) => {
    const context = currentRequest.getStore();
    if (context) {
      failRequest(context, error, logger);
      return;
    }
    logger.fatal({ err: error }, 'uncaught error outside any request; exiting');
    logger.flush();
    exit(1);
  };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  return () => {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  };
}

/** Answers 500 (when nothing was sent yet) and closes the connection: its request stream is in an unknown state. */
function failRequest({ req, res }: RequestContext, error: unknown, logger: Logger): void {
  logger.error({ err: error, method: req.method, path: (req.url ?? '').split('?')[0] }, 'a request failed outside its handlers; answered 500 and closed');
  try {
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    const { body } = toProblem(error);
    const bytes = Buffer.from(JSON.stringify({ ...body, instance: req.url }));
    res.writeHead(body.status, {
      'Content-Type': 'application/problem+json; charset=utf-8',
      'Content-Length': bytes.length,
      Connection: 'close',
    });
    res.end(bytes, () => req.socket.destroy());
  } catch {
    res.destroy();
  }
}
