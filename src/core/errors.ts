// Typed, coded errors of the pure core. The HTTP layer maps `code` to an RFC 9457 problem type in one
// place, so every code below is a stable public identifier: never rename one, only add.

/** Codes thrown by `src/core`. */
export type CoreErrorCode =
  | 'INVALID_DOCUMENT_ID'
  | 'INVALID_HEX'
  | 'INVALID_RECEIPT'
  | 'INVALID_MERKLE_ARGUMENT'
  | 'CHAIN_UNAVAILABLE';

/**
 * Base of every domain error in the project. `code` is stable and machine-readable; `message` is for
 * people; `details` is JSON-serialisable context that is safe to echo to the client (inputs in it are
 * truncated).
 */
export class DomainError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly details?: Readonly<Record<string, unknown>>;

  constructor(code: Code, message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/**
 * `INVALID_DOCUMENT_ID`: a document identifier (hex digest, multihash or CID) that cannot be parsed or
 * uses a hash function we do not accept. The message says exactly what is wrong.
 */
export class InvalidDocumentIdError extends DomainError<'INVALID_DOCUMENT_ID'> {
  constructor(message: string, details?: Record<string, unknown>, options?: ErrorOptions) {
    super('INVALID_DOCUMENT_ID', message, details, options);
  }
}

/** `INVALID_HEX`: a string that is not an even-length run of hex digits; `details.index` locates it. */
export class InvalidHexError extends DomainError<'INVALID_HEX'> {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_HEX', message, details);
  }
}

/**
 * `INVALID_RECEIPT`: JSON that is not a version-1 receipt (core/receipts/receipt.ts); `details.field` names the
 * offending field as a path such as `proof.auditPath[3]`.
 */
export class InvalidReceiptError extends DomainError<'INVALID_RECEIPT'> {
  constructor(field: string, message: string) {
    super('INVALID_RECEIPT', `receipt field ${field} ${message}`, { field });
  }
}

/**
 * `INVALID_MERKLE_ARGUMENT`: a caller asked the Merkle code for something impossible (a leaf index
 * outside the tree, a node that is not 32 bytes). A programming error, not bad user input: proofs that
 * merely fail to verify are reported as results, never with this error.
 */
export class InvalidMerkleArgumentError extends DomainError<'INVALID_MERKLE_ARGUMENT'> {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_MERKLE_ARGUMENT', message, details);
  }
}

/**
 * `CHAIN_UNAVAILABLE`: the chain's RPC endpoint could not be reached or did not answer in time. Not a
 * verdict about any root or transaction: the same call may succeed once the chain is back.
 */
export class ChainUnavailableError extends DomainError<'CHAIN_UNAVAILABLE'> {
  constructor(message: string, options?: ErrorOptions) {
    super('CHAIN_UNAVAILABLE', message, undefined, options);
  }
}

/** Shortens an untrusted input before it goes into `details`, so errors never echo megabytes. */
export function excerpt(value: string, maxLength = 80): string {
  return value.length <= maxLength ? value : `${value.slice(0, maxLength)}…`;
}
