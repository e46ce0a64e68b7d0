// Rotating the service's signing keys: a new ES256K key (its did:ethr, W3C credentials, status lists,
// receipt credentials and the anchoring account) and a new ES256 key (SD-JWT VCs, Token Status Lists,
// did:web credentials). Old keys stay published and, for did:ethr, valid on the ERC-1056 registry, so
// everything signed before still verifies; new signatures use the new keys at once, on every replica.
import { Wallet } from 'ethers';
import { DomainError } from '../../core/errors';
import type { Notifications } from '../../platform/database/notifications';
import { writeKeyFile } from './key-files';
import { readServiceKeySet, type LoadServiceKeysOptions, type PublishedSigningKey, type ServiceKeys } from './service-keys';
import { es256kKey, generateEs256Key, type Es256kSigningKey } from './signing-keys';

/** What a rotation needs from the chain: the ERC-1056 registry and the anchoring account (platform/chain/did-registry-writer.ts). */
export interface KeyRotationChain {
  identityOwner(identity: string): Promise<string>;
  /** Whether `account` can pay for `transactions` registry writes. */
  canPay(account: string, transactions: number): Promise<boolean>;
  addVerificationDelegate(identity: string, ownerPrivateKey: string, delegate: string, validitySeconds: number, senderPrivateKey: string): Promise<RotationTransaction>;
  changeOwner(identity: string, ownerPrivateKey: string, newOwner: string, senderPrivateKey: string): Promise<RotationTransaction>;
  transferBalance(fromPrivateKey: string, to: string): Promise<RotationTransaction | undefined>;
}

export interface RotationTransaction {
  purpose: string;
  hash: string;
}

/**
 * How the did:ethr takes the new key: as a `veriKey` delegate (the first key stays the owner), or as
 * the new owner (the old owner then becomes a delegate, so what it signed still verifies).
 */
export type EthrRotationMode = 'delegate' | 'owner';

/** What to rotate; by default both keys, the did:ethr by delegate, the anchoring account's ether moved along. */
export interface RotateSigningKeysRequest {
  algorithms?: Array<'ES256K' | 'ES256'>;
  didEthr?: EthrRotationMode;
  /** Move the old anchoring account's ether to the new one (default true): the new key anchors from now on. */
  moveBalance?: boolean;
}

export interface SigningKeyRotation {
  rotated: Array<{ alg: 'ES256K' | 'ES256'; previous: string; current: string }>;
  /** The chain transactions the rotation sent, in order. */
  transactions: RotationTransaction[];
  /** Every key the service now publishes, the new ones active. */
  keys: PublishedSigningKey[];
}

/** A delegate added by a rotation stays valid this long (100 years): what the old key signed must keep verifying. */
export const DELEGATE_VALIDITY_SECONDS = 100 * 365 * 24 * 3600;

const ROTATED_CHANNEL = 'did_notary_signing_keys_rotated';

export interface SigningKeyRotatorOptions extends LoadServiceKeysOptions {
  keys: ServiceKeys;
  chain: KeyRotationChain;
  /** Runs `work` while this replica anchors nothing (the anchoring account must not send two transactions at once). */
  exclusive: <T>(work: () => Promise<T>) => Promise<T>;
  /** Called once the new keys are in use here: forget cached DID documents, announce to other replicas. */
  onRotated?: () => Promise<void>;
}

export class SigningKeyRotator {
  constructor(private readonly options: SigningKeyRotatorOptions) {}

  /** Rotates the keys `input` asks for; throws INVALID_ROTATION_REQUEST or KEY_ROTATION_REFUSED. */
  async rotate(input: unknown = {}): Promise<SigningKeyRotation> {
    const request = validateRotationRequest(input);
    return this.options.exclusive(async () => {
      const { keys, store, keysDir } = this.options;
      const rotated: SigningKeyRotation['rotated'] = [];
      const transactions: RotationTransaction[] = [];
      if (request.algorithms.includes('ES256K')) {
        const previous = keys.es256k();
        const next = es256kKey(Wallet.createRandom().privateKey);
        // The key file first: a key the chain accepts must never be one the service cannot sign with.
        writeKeyFile(keysDir, next);
        transactions.push(...(await this.rotateDidEthr(previous, next, request)));
        await store.transaction((tx) => store.rotate(tx, { id: next.id, alg: 'ES256K', publicJwk: { ...next.publicJwk }, address: next.address }));
        rotated.push({ alg: 'ES256K', previous: previous.id, current: next.id });
      }
      if (request.algorithms.includes('ES256')) {
        const previous = keys.es256();
        const next = generateEs256Key();
        writeKeyFile(keysDir, next);
        await store.transaction((tx) => store.rotate(tx, { id: next.id, alg: 'ES256', publicJwk: { ...next.publicJwk }, address: null }));
        rotated.push({ alg: 'ES256', previous: previous.id, current: next.id });
      }
      keys.replace(await readServiceKeySet(this.options));
      await this.options.onRotated?.();
      return { rotated, transactions, keys: [...keys.published()] };
    });
  }

  /** Registers `next` for the did:ethr and hands it the anchoring account's ether. */
  private async rotateDidEthr(previous: Es256kSigningKey, next: Es256kSigningKey, request: Required<RotateSigningKeysRequest>): Promise<RotationTransaction[]> {
    const { chain, keys } = this.options;
    const identity = keys.identityAddress;
    const owner = await chain.identityOwner(identity);
    const ownerKey = keys.es256kByAddress(owner);
    if (!ownerKey) {
      throw new DomainError('KEY_ROTATION_REFUSED', `the did:ethr's owner on the registry is ${owner}, not a key this service holds: it cannot register a new key`, { owner });
    }
    if (!(await chain.canPay(previous.address, request.didEthr === 'owner' ? 2 : 1))) {
      throw new DomainError('KEY_ROTATION_REFUSED', `the anchoring account ${previous.address} cannot pay for the registry transactions: send it ether, then rotate again`, {
        account: previous.address,
      });
    }
    const sent: RotationTransaction[] = [];
    try {
      await this.registerNextKey(identity, owner, ownerKey, previous, next, request, sent);
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'INSUFFICIENT_FUNDS') throw error;
      throw new DomainError(
        'KEY_ROTATION_REFUSED',
        `the anchoring account ${previous.address} cannot pay for the registry transactions` +
          (sent.length > 0 ? ` (${sent.length} went through: ${sent.map((t) => t.hash).join(', ')})` : '') +
          ': send it ether, then rotate again',
        { account: previous.address },
      );
    }
    return sent;
  }

  private async registerNextKey(
    identity: string,
    owner: string,
    ownerKey: Es256kSigningKey,
    previous: Es256kSigningKey,
    next: Es256kSigningKey,
    request: Required<RotateSigningKeysRequest>,
    sent: RotationTransaction[],
  ): Promise<void> {
    const { chain } = this.options;
    if (request.didEthr === 'delegate') {
      sent.push(await chain.addVerificationDelegate(identity, ownerKey.privateKey, next.address, DELEGATE_VALIDITY_SECONDS, previous.privateKey));
    } else {
      sent.push(await chain.changeOwner(identity, ownerKey.privateKey, next.address, previous.privateKey));
      // The old owner no longer speaks for the DID: as a delegate, what it signed still verifies.
      sent.push(await chain.addVerificationDelegate(identity, next.privateKey, owner, DELEGATE_VALIDITY_SECONDS, previous.privateKey));
    }
    if (request.moveBalance) {
      const moved = await chain.transferBalance(previous.privateKey, next.address);
      if (moved) sent.push(moved);
    }
  }
}

/** Tells every replica that the keys rotated, so each reloads them. */
export async function announceRotation(notifications: Pick<Notifications, 'notify'>): Promise<void> {
  await notifications.notify(ROTATED_CHANNEL, 'rotated');
}

/** Calls `reload` whenever any replica rotates the keys; returns the unsubscribe. */
export function followRotations(notifications: Pick<Notifications, 'listen'>, reload: () => void): Promise<() => Promise<void>> {
  return notifications.listen(ROTATED_CHANNEL, () => reload());
}

function validateRotationRequest(input: unknown): Required<RotateSigningKeysRequest> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalid('body', 'must be a JSON object');
  const { algorithms = ['ES256K', 'ES256'], didEthr = 'delegate', moveBalance = true, ...rest } = input as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw invalid(unknown[0]!, 'is not a field of a rotation request');
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every((a) => a === 'ES256K' || a === 'ES256')) {
    throw invalid('algorithms', 'must list ES256K, ES256 or both');
  }
  if (didEthr !== 'delegate' && didEthr !== 'owner') throw invalid('didEthr', 'must be delegate or owner');
  if (typeof moveBalance !== 'boolean') throw invalid('moveBalance', 'must be true or false');
  return { algorithms: [...new Set(algorithms as Array<'ES256K' | 'ES256'>)], didEthr, moveBalance };
}

function invalid(field: string, message: string): DomainError<'INVALID_ROTATION_REQUEST'> {
  return new DomainError('INVALID_ROTATION_REQUEST', `${field} ${message}`, { field });
}
