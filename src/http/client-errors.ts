// Requests Node's HTTP parser refuses before any handler runs (headers or URL over the size limit,
// malformed request lines, a client too slow to send its headers): answered as problem+json like
// every other error, instead of Node's bare status line.
import type { Duplex } from 'node:stream';
import { toProblem, HttpProblem, type ProblemKind } from './problems';

/** Largest request line plus headers, bytes: Node's default, stated here so the README can name it. */
export const MAX_HEADER_BYTES = 16 * 1024;

const KIND_OF_PARSER_ERROR: Record<string, ProblemKind> = {
  HPE_HEADER_OVERFLOW: 'headers-too-large',
  ERR_HTTP_REQUEST_TIMEOUT: 'request-timeout',
};

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** The server's 'clientError' handler: one problem response, then the connection is closed. */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // Nothing can be answered on a connection that is gone or already carries a response.
  if (error.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
    socket.destroy();
    return;
  }
  const kind = KIND_OF_PARSER_ERROR[error.code ?? ''] ?? 'malformed-request';
  const detail =
    kind === 'headers-too-large'
      ? `the request line and headers exceed ${MAX_HEADER_BYTES} bytes`
      : kind === 'request-timeout'
        ? 'the request headers did not arrive in time'
        : 'the request is not valid HTTP/1.1';
  const { body } = toProblem(new HttpProblem(kind, detail));
  const bytes = Buffer.from(JSON.stringify(body));
  socket.end(
    `HTTP/1.1 ${body.status} ${REASONS[body.status] ?? 'Error'}\r\n` +
      'Content-Type: application/problem+json; charset=utf-8\r\n' +
      `Content-Length: ${bytes.length}\r\n` +
      'Connection: close\r\n\r\n' +
      bytes.toString('latin1'),
  );
}
