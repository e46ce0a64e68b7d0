// Rows of an extended-protocol execution (Bind, Execute, Sync), decoded from the raw backend bytes.
// PGlite's own path runs every answer through the general pg-protocol parser, which allocates a
// buffer copy and a string per field and parses the column names of every result again: for the
// store's one-row lookups that cost more than Postgres's work. The columns of a prepared statement
// are known from its Describe, so only the data rows need reading here, straight from the bytes.

/** A result column as the statement's RowDescription gives it. */
export interface ResultColumn {
  name: string;
  dataTypeID: number;
}

/** Text-format parser of one type (PGlite's `db.parsers`). */
export type TextParser = (text: string, typeId: number) => unknown;

/** The fields of an ErrorResponse, named as pg-protocol's DatabaseError names them. */
export interface BackendErrorFields {
  message: string;
  severity?: string;
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
  where?: string;
  routine?: string;
}

const BYTEA_OID = 17;

const ERROR_FIELD_NAMES: Record<string, keyof BackendErrorFields> = {
  S: 'severity',
  V: 'severity',
  C: 'code',
  M: 'message',
  D: 'detail',
  H: 'hint',
  P: 'position',
  s: 'schema',
  t: 'table',
  c: 'column',
  d: 'dataType',
  n: 'constraint',
  W: 'where',
  R: 'routine',
};

const utf8 = new TextDecoder();

/**
 * The data rows in `raw` as objects keyed by column name, each value parsed by its type's text parser
 * (as PGlite's `parseResults` does). An ErrorResponse is handed to `toError` and thrown.
 */
export function decodeDataRows(
  raw: Uint8Array,
  columns: readonly ResultColumn[],
  parsers: Readonly<Record<number, TextParser | undefined>>,
  toError: (fields: BackendErrorFields) => Error,
): Record<string, unknown>[] {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const columnParsers = columns.map((column) => parsers[column.dataTypeID]);
  const rows: Record<string, unknown>[] = [];
  let offset = 0;
  while (offset + 5 <= raw.length) {
    const type = raw[offset]!;
    const end = offset + 1 + view.getInt32(offset + 1);
    if (end > raw.length || end < offset + 5) throw new Error(`truncated backend message '${String.fromCharCode(type)}' at byte ${offset}`);
    if (type === 0x44 /* D: DataRow */) {
      let at = offset + 5;
      const count = view.getInt16(offset + 5);
      at += 2;
      if (count !== columns.length) throw new Error(`a data row has ${count} fields; the statement describes ${columns.length}`);
      const row: Record<string, unknown> = {};
      for (let i = 0; i < count; i++) {
        const length = view.getInt32(at);
        at += 4;
        const column = columns[i]!;
        if (length < 0) {
          row[column.name] = null;
          continue;
        }
        if (at + length > end) throw new Error(`field ${column.name} runs past its data row at byte ${offset}`);
        row[column.name] = decodeTextValue(raw, at, length, column.dataTypeID, columnParsers[i]);
        at += length;
      }
      rows.push(row);
    } else if (type === 0x45 /* E: ErrorResponse */) {
      throw toError(decodeErrorFields(raw, offset + 5, end));
    }
    offset = end;
  }
  if (offset !== raw.length) throw new Error(`truncated backend message at byte ${offset}`);
  return rows;
}

function decodeTextValue(raw: Uint8Array, start: number, length: number, typeId: number, parser: TextParser | undefined): unknown {
  // bytea in hex output ('\x' then two digits a byte): decoded from the bytes, not via a string.
  if (typeId === BYTEA_OID && length >= 2 && raw[start] === 0x5c && raw[start + 1] === 0x78 && length % 2 === 0) {
    const out = new Uint8Array((length - 2) / 2);
    for (let i = 0, at = start + 2; i < out.length; i++, at += 2) {
      const high = hexDigit(raw[at]!);
      const low = hexDigit(raw[at + 1]!);
      if (high < 0 || low < 0) return parseText(raw, start, length, typeId, parser);
      out[i] = (high << 4) | low;
    }
    return out;
  }
  return parseText(raw, start, length, typeId, parser);
}

function parseText(raw: Uint8Array, start: number, length: number, typeId: number, parser: TextParser | undefined): unknown {
  const text = utf8.decode(raw.subarray(start, start + length));
  return parser ? parser(text, typeId) : text;
}

function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

function decodeErrorFields(raw: Uint8Array, start: number, end: number): BackendErrorFields {
  const fields: BackendErrorFields = { message: '' };
  let at = start;
  while (at < end && raw[at] !== 0) {
    const code = String.fromCharCode(raw[at]!);
    let stop = at + 1;
    while (stop < end && raw[stop] !== 0) stop++;
    const name = ERROR_FIELD_NAMES[code];
    if (name) fields[name] = utf8.decode(raw.subarray(at + 1, stop));
    at = stop + 1;
  }
  return fields;
}
