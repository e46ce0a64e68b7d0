// Structured JSON logs (pino). Secrets are redacted by path, so a careless log call cannot leak them.
import pino from 'pino';

export type Logger = pino.Logger;

/** The service logger; `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'did-notary' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['privateKey', '*.privateKey', 'secret', '*.secret', 'authorization', '*.authorization', 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
