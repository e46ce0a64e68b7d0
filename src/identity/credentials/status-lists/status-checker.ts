// Reads a credential's bit in a Bitstring Status List: ours straight from the store, anyone else's
// fetched through the guarded fetcher and accepted only when signed by the credential's own issuer.
import type { Resolvable } from 'did-resolver';
import type { OutboundFetcher } from '../../../platform/outbound/outbound-fetch';
import { LRUCache } from 'lru-cache';
import { MIN_STATUS_LIST_BITS, readBit } from './bitstring';
import { CREDENTIAL_JWT_LIMITS, decodeCompactJwt } from '../verification/compact-jwt';
import { checkJwtSignature } from '../verification/jwt-signature';
import { decodeStatusList } from './status-list-encoding';
import type { StatusLists } from './status-lists';
import { checkValidityWindow } from '../verification/validity-window';
import type { StatusListEntry } from '../verification/vc-payload';

/** Answers whether a status entry's bit is set; throws StatusUnavailableError when it cannot tell. */
export interface StatusChecker {
  isSet(entry: StatusListEntry, credentialIssuer: string): Promise<boolean>;
}

/** The status list could not be fetched, verified or read: the status is unknown, so verification fails. */
export class StatusUnavailableError extends Error {}

export interface BitstringStatusCheckerOptions {
  /** Our lists, read directly; used for credentials whose issuer is one of `ownDids`. */
  ownLists?: StatusLists;
  ownDids?: () => readonly string[];
  resolver: Resolvable;
  fetcher: OutboundFetcher;
  now?: () => number;
  skewSeconds?: number;
  /** Foreign lists are cached this long (default 60 s) so a batch of verifications fetches once. */
  cacheTtlMs?: number;
}

/** A foreign status list, verified: its purposes and its bits. */
interface FetchedList {
  purposes: string[];
  bits: Uint8Array;
}

/** The list credential and subject types each entry type points at (Bitstring Status List v1.0; StatusList2021). */
const LIST_TYPES: Record<StatusListEntry['type'], { credential: string; subject: string }> = {
  BitstringStatusListEntry: { credential: 'BitstringStatusListCredential', subject: 'BitstringStatusList' },
  StatusList2021Entry: { credential: 'StatusList2021Credential', subject: 'StatusList2021' },
};

const STATUS_LIST_MEDIA_TYPES = ['application/vc+jwt', 'application/jwt', 'text/plain', 'application/json', 'application/vc+ld+json+jwt'];
/** A status list credential of the minimum size gzips to a few hundred bytes; a full one to ~16 KiB. */
const MAX_STATUS_LIST_CREDENTIAL_BYTES = 64 * 1024;

export class BitstringStatusChecker implements StatusChecker {
  /** Verified foreign lists by issuer, entry type and URL; `fetch` merges concurrent fetches of one list. */
  private readonly cache: LRUCache<string, FetchedList, { url: string; issuer: string; entryType: StatusListEntry['type'] }>;
  private readonly now: () => number;

  constructor(private readonly options: BitstringStatusCheckerOptions) {
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache({
      max: 100,
      ttl: options.cacheTtlMs ?? 60_000,
      perf: { now: this.now },
      ttlResolution: 0, // read the clock on every lookup, so an injected clock takes effect at once
      // A list that could not be fetched or verified is not remembered: the next check tries again.
      fetchMethod: (_key, _stale, { context }) => this.fetchList(context.url, context.issuer, context.entryType),
    });
  }

  async isSet(entry: StatusListEntry, credentialIssuer: string): Promise<boolean> {
    if (entry.statusSize !== 1) throw new StatusUnavailableError(`statusSize ${entry.statusSize} is not supported (only 1)`);
    if (this.options.ownLists && this.options.ownDids?.().includes(credentialIssuer)) {
      const own = await this.options.ownLists.lookup(entry.statusListCredential, entry.statusListIndex);
      if (!own) throw new StatusUnavailableError(`${entry.statusListCredential} is not a status list of this service`);
      if (own.purpose !== entry.statusPurpose) throw new StatusUnavailableError(`the list is for ${own.purpose}, the entry says ${entry.statusPurpose}`);
      return own.set;
    }
    const list = await this.foreignList(entry.statusListCredential, credentialIssuer, entry.type);
    if (!list.purposes.includes(entry.statusPurpose)) {
      throw new StatusUnavailableError(`the list is for ${list.purposes.join(', ')}, the entry says ${entry.statusPurpose}`);
    }
    const bit = readBit(list.bits, entry.statusListIndex);
    if (bit === undefined) throw new StatusUnavailableError(`index ${entry.statusListIndex} is outside the list`);
    return bit;
  }

  private async foreignList(url: string, issuer: string, entryType: StatusListEntry['type']): Promise<FetchedList> {
    return (await this.cache.fetch(`${issuer} ${entryType} ${url}`, { context: { url, issuer, entryType } }))!;
  }

  private async fetchList(url: string, issuer: string, entryType: StatusListEntry['type']): Promise<FetchedList> {
    let text: string;
    try {
      text = (await this.options.fetcher.get(url, STATUS_LIST_MEDIA_TYPES, { maxBytes: MAX_STATUS_LIST_CREDENTIAL_BYTES })).body.toString('utf8').trim();
    } catch (error) {
      throw new StatusUnavailableError(`status list ${url}: ${(error as Error).message}`);
    }
    const jwt = jwtOf(text);
    if (!jwt) throw new StatusUnavailableError(`status list ${url} is not a JWT-encoded credential`);
    let payload: Record<string, unknown>;
    try {
      payload = decodeCompactJwt(jwt, CREDENTIAL_JWT_LIMITS).payload;
    } catch (error) {
      throw new StatusUnavailableError(`status list ${url}: ${(error as Error).message}`);
    }
    // A 2.0 list (VC-JOSE-COSE) is the payload itself; a 1.1 list sits in the `vc` claim.
    const vc = (payload['@context'] !== undefined ? payload : typeof payload.vc === 'object' && payload.vc !== null ? payload.vc : {}) as {
      type?: unknown;
      issuer?: unknown;
      credentialSubject?: { type?: unknown; statusPurpose?: unknown; encodedList?: unknown };
    };
    const listIssuer = payload.iss ?? (typeof vc.issuer === 'object' && vc.issuer !== null ? (vc.issuer as { id?: unknown }).id : vc.issuer);
    if (listIssuer !== issuer) throw new StatusUnavailableError(`status list ${url} is not issued by ${issuer}`);
    const signatureIssue = await checkJwtSignature(jwt, payload, issuer, this.options.resolver, 'assertionMethod');
    if (signatureIssue) throw new StatusUnavailableError(`status list ${url}: ${signatureIssue.message}`);
    const window = checkValidityWindow(payload, Math.floor(this.now() / 1000), this.options.skewSeconds, vc as Record<string, unknown>);
    if (window.issues.length > 0) throw new StatusUnavailableError(`status list ${url}: ${window.issues.map((i) => i.message).join('; ')}`);
    // Bitstring Status List v1.0 §2.2: the list is a credential of its own type, not any credential
    // of the issuer's that happens to carry an encodedList.
    const expected = LIST_TYPES[entryType];
    const types = Array.isArray(vc.type) ? vc.type : [vc.type];
    const subject = vc.credentialSubject;
    if (!types.includes(expected.credential) || subject?.type !== expected.subject) {
      throw new StatusUnavailableError(`status list ${url} is not a ${expected.credential} with a ${expected.subject} subject`);
    }
    const purposes = Array.isArray(subject.statusPurpose) ? subject.statusPurpose : [subject.statusPurpose];
    if (typeof subject.encodedList !== 'string' || !purposes.every((p): p is string => typeof p === 'string')) {
      throw new StatusUnavailableError(`status list ${url} has no encodedList or statusPurpose`);
    }
    let bits: Uint8Array;
    try {
      bits = decodeStatusList(subject.encodedList);
    } catch (error) {
      throw new StatusUnavailableError(`status list ${url}: ${(error as Error).message}`);
    }
    // §2.1 and §3.2: at least 131,072 entries, so that one credential's index tells little about its holder.
    if (bits.length * 8 < MIN_STATUS_LIST_BITS) {
      throw new StatusUnavailableError(`status list ${url} has ${bits.length * 8} entries, fewer than the ${MIN_STATUS_LIST_BITS} the specification requires`);
    }
    return { purposes, bits };
  }
}

/** The JWT of a fetched status list: the compact JWT itself, or JSON carrying it (`jwt` or `proof.jwt`). */
function jwtOf(text: string): string | undefined {
  if (/^[\w-]+\.[\w-]+\.[\w-]+$/.test(text)) return text;
  try {
    const json = JSON.parse(text) as { jwt?: unknown; proof?: { jwt?: unknown } };
    const jwt = json.jwt ?? json.proof?.jwt;
    return typeof jwt === 'string' ? jwt : undefined;
  } catch {
    return undefined;
  }
}
