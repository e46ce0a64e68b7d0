// A real service logger (pino, with the service's censoring) whose JSON lines a test can read back.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/platform/observability/logger';

export function capturedLogs(level = 'info'): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    logger: createLogger(level, destination),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
