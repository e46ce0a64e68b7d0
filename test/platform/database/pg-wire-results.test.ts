// The data-row decoder on hand-made backend bytes: what PGlite returns is tested through the thread
// client (pglite-thread.test.ts); here the framing edge cases that a real database rarely produces.
import { describe, expect, it } from 'vitest';
import { decodeDataRows, type BackendErrorFields } from '../../../src/platform/database/pglite/pg-wire-results';

const encoder = new TextEncoder();

function message(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + body.length);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, 4 + body.length);
  out.set(body, 5);
  return out;
}

function dataRow(values: Array<string | null>): Uint8Array {
  const parts: number[] = [0, values.length];
  for (const value of values) {
    const bytes = value === null ? null : encoder.encode(value);
    const length = new Uint8Array(4);
    new DataView(length.buffer).setInt32(0, bytes === null ? -1 : bytes.length);
    parts.push(...length, ...(bytes ?? []));
  }
  return message('D', new Uint8Array(parts));
}

const concat = (...parts: Uint8Array[]): Uint8Array => Buffer.concat(parts);

const bindComplete = message('2', new Uint8Array(0));
const commandComplete = message('C', encoder.encode('SELECT 1\0'));
const readyForQuery = message('Z', encoder.encode('I'));
const columns = [
  { name: 'n', dataTypeID: 23 },
  { name: 'b', dataTypeID: 17 },
];
const parsers = { 23: (text: string) => Number(text), 17: () => 'parsed by the fallback' };
const toError = (fields: BackendErrorFields) => Object.assign(new Error(fields.message), fields);

describe('decodeDataRows', () => {
  it('reads data rows between the other messages, with nulls, hex bytea and parsed values', () => {
    const raw = concat(bindComplete, dataRow(['7', '\\x00ff']), dataRow([null, null]), commandComplete, readyForQuery);
    expect(decodeDataRows(raw, columns, parsers, toError)).toEqual([
      { n: 7, b: new Uint8Array([0, 255]) },
      { n: null, b: null },
    ]);
  });

  it('leaves bytea that is not in hex output to the type parser', () => {
    const raw = concat(dataRow(['1', 'plain escape form']), readyForQuery);
    expect(decodeDataRows(raw, columns, parsers, toError)).toEqual([{ n: 1, b: 'parsed by the fallback' }]);
  });

  it('throws the ErrorResponse with its fields named as pg-protocol names them', () => {
    const fields = encoder.encode('SERROR\0C23505\0Mduplicate key value\0Dkey (id)=(1) exists\0nitems_pkey\0titems\0\0');
    const raw = concat(bindComplete, message('E', fields), readyForQuery);
    expect(() => decodeDataRows(raw, columns, parsers, toError)).toThrow(
      expect.objectContaining({ message: 'duplicate key value', code: '23505', severity: 'ERROR', detail: 'key (id)=(1) exists', constraint: 'items_pkey', table: 'items' }),
    );
  });

  it('refuses a truncated message and a row that does not match the statement', () => {
    const row = dataRow(['1', '\\x00']);
    expect(() => decodeDataRows(row.subarray(0, row.length - 1), columns, parsers, toError)).toThrow(/truncated/);
    expect(() => decodeDataRows(concat(row, readyForQuery.subarray(0, 3)), columns, parsers, toError)).toThrow(/truncated/);
    const overlong = row.slice();
    new DataView(overlong.buffer).setInt32(7, 10); // the first field claims more bytes than its row holds
    expect(() => decodeDataRows(overlong, columns, parsers, toError)).toThrow(/runs past its data row/);
    expect(() => decodeDataRows(dataRow(['1']), columns, parsers, toError)).toThrow(/1 fields; the statement describes 2/);
  });
});
