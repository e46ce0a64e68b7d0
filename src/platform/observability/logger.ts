// Structured JSON logs (pino). Secrets are censored by key name, so a careless log call cannot leak them.
import pino from 'pino';

export type Logger = pino.Logger;

/** Field names whose values never reach a log line, at the top level or one level down. */
const SECRET_KEYS = ['privateKey', 'secret', 'authorization'] as const;
export const CENSORED = '[redacted]';

/** The service logger; `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'did-notary' },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Top-level secrets (in log calls and child bindings alike) by pino's redaction. Not the
      // one-level-down ones ('*.secret'): with a wildcard path pino runs its redactor, which parses
      // the paths and clones, on every value of every line, a quarter of what a receipt read
      // allocated. censorNestedSecrets does those in one pass over the keys.
      redact: { paths: [...SECRET_KEYS, 'req.headers.authorization'], censor: CENSORED },
      formatters: { log: censorNestedSecrets },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/**
 * The log fields with `privateKey`, `secret` and `authorization` censored one level down (the
 * `*.secret` of a redaction path). Copies only what it changes (an Error keeps its prototype and
 * stack), so the caller's objects are never modified.
 */
export function censorNestedSecrets(fields: Record<string, unknown>): Record<string, unknown> {
  let censored: Record<string, unknown> | undefined;
  for (const key in fields) {
    if (!Object.prototype.hasOwnProperty.call(fields, key)) continue;
    const value = fields[key];
    if (typeof value !== 'object' || value === null) continue;
    const replacement = censorChildren(value as Record<string, unknown>);
    if (replacement !== value) {
      censored ??= { ...fields };
      censored[key] = replacement;
    }
  }
  return censored ?? fields;
}

function censorChildren(value: Record<string, unknown>): object {
  let copy: Record<string, unknown> | undefined;
  for (const key of SECRET_KEYS) {
    if (!Object.prototype.hasOwnProperty.call(value, key) || value[key] === undefined) continue;
    copy ??= Object.create(Object.getPrototypeOf(value), Object.getOwnPropertyDescriptors(value)) as Record<string, unknown>;
    Object.defineProperty(copy, key, { value: CENSORED, enumerable: true, writable: true, configurable: true });
  }
  return copy ?? value;
}
