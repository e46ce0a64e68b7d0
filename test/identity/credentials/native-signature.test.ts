// The native signature check (libsecp256k1 in WebAssembly, node:crypto) against did-jwt, which it stands
// in for: for every signature and document here, its verdict must be did-jwt's (verifyJWS over the same
// keys, verifyJWT through the DID document), or `undecided` where it leaves the call to did-jwt. The
// documents come from the libraries that make them (ethr-did-resolver, key-did-resolver) or are plain
// did:web JSON; the signatures from did-jwt's own signers.
import { generateKeyPairSync } from 'node:crypto';
import { createJWT, ES256KSigner, ES256Signer, EdDSASigner, hexToBytes, verifyJWS, verifyJWT, type JWTVerifyOptions } from 'did-jwt';
import type { DIDDocument, DIDResolutionResult, VerificationMethod } from 'did-resolver';
import { createRequire } from 'node:module';
import path from 'node:path';
import { SigningKey, Wallet } from 'ethers';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkJwtSignature } from '../../../src/identity/credentials/verification/jwt-signature';
import { verifySignatureNatively, type NativeVerdict } from '../../../src/identity/credentials/verification/native-signature';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const P256_N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const CHAIN_ID = 1;

// ethr-did-resolver's EthrDidResolver builds the document from the registry's events in wrapDidDocument;
// the package exports only getResolver (which hides the instance), so the class is loaded from the file
// beside its entry point. No chain is needed for a history given here.
const requireHere = createRequire(__filename);
const { EthrDidResolver } = requireHere(path.join(path.dirname(requireHere.resolve('ethr-did-resolver')), 'resolver.js')) as {
  EthrDidResolver: new (options: unknown) => {
    wrapDidDocument(did: string, address: string, controllerKey: string | undefined, history: never, chainId: bigint, blockHeight: string, now: bigint): { didDocument: DIDDocument };
  };
};

/** ethr-did-resolver's document for an address (or public key) DID, with no registry history or with `history`. */
function ethrDocument(did: string, address: string, controllerKey?: string, history: unknown[] = []): DIDDocument {
  const resolver = new EthrDidResolver({ networks: [{ name: 'mainnet', chainId: CHAIN_ID, rpcUrl: 'http://127.0.0.1:9' }] });
  return resolver.wrapDidDocument(did, address, controllerKey, history as never, BigInt(CHAIN_ID), 'latest', BigInt(Math.floor(Date.now() / 1000))).didDocument;
}

interface Party {
  did: string;
  document: DIDDocument;
  sign(payload: Record<string, unknown>, alg: string, header?: Record<string, unknown>): Promise<string>;
}

function ethrParty(wallet = Wallet.createRandom()): Party & { privateKey: string } {
  const did = `did:ethr:${wallet.address.toLowerCase()}`;
  return {
    did,
    privateKey: wallet.privateKey,
    document: ethrDocument(did, wallet.address),
    sign: (payload, alg, header = {}) =>
      createJWT({ ...payload, iss: did }, { issuer: did, signer: ES256KSigner(hexToBytes(wallet.privateKey), alg === 'ES256K-R') }, { alg, ...header }),
  };
}

async function didKeyParty(): Promise<Party> {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
  const { bytesToMultibase } = await import('did-jwt');
  const did = `did:key:${bytesToMultibase(Buffer.from(jwk.x, 'base64url'), 'base58btc', 'ed25519-pub')}`;
  const { getResolver } = await import('key-did-resolver');
  const resolution = (await getResolver().key(did, { did, method: 'key', id: did.slice(8), didUrl: did }, { resolve: async () => ({}) } as never, {})) as DIDResolutionResult;
  return {
    did,
    document: resolution.didDocument!,
    sign: (payload, alg, header = {}) => createJWT({ ...payload, iss: did }, { issuer: did, signer: EdDSASigner(Buffer.from(jwk.d, 'base64url')) }, { alg, ...header }),
  };
}

function didWebParty(): Party {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const d = (privateKey.export({ format: 'jwk' }) as { d: string }).d;
  const { kty, crv, x, y } = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  const did = 'did:web:issuer.example';
  const method = { id: `${did}#key-1`, type: 'JsonWebKey2020', controller: did, publicKeyJwk: { kty, crv, x, y } };
  return {
    did,
    document: { id: did, verificationMethod: [method], assertionMethod: [method.id], authentication: [method.id] },
    sign: (payload, alg, header = {}) => createJWT({ ...payload, iss: did }, { issuer: did, signer: ES256Signer(Buffer.from(d, 'base64url')) }, { alg, ...header }),
  };
}

const PAYLOAD = { sub: 'did:example:subject', vc: { type: ['VerifiableCredential'] } };

/** The keys did-jwt tries for an assertion (every verification method of these documents is an assertion method). */
const methodsOf = (document: DIDDocument): VerificationMethod[] => document.verificationMethod ?? [];

function native(jwt: string, methods: VerificationMethod[]): NativeVerdict {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const alg = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg: string }).alg;
  return verifySignatureNatively(alg, `${header}.${payload}`, signature, methods);
}

function didJwtAccepts(jwt: string, methods: VerificationMethod[]): boolean {
  try {
    verifyJWS(jwt, methods);
    return true;
  } catch {
    return false;
  }
}

/** The native verdict is did-jwt's; `undecidedWhenInvalid`: EdDSA leaves every failure to did-jwt. */
function expectSameVerdict(jwt: string, methods: VerificationMethod[], expected: boolean, undecidedWhenInvalid = false): void {
  expect(didJwtAccepts(jwt, methods)).toBe(expected);
  expect(native(jwt, methods)).toBe(expected ? 'valid' : undecidedWhenInvalid ? 'undecided' : 'invalid');
}

/** Through the service's check (document resolved, keys picked as did-jwt picks them) and through did-jwt's verifyJWT. */
async function expectSameThroughDocument(jwt: string, party: { did: string; document: DIDDocument }, expected: boolean): Promise<void> {
  const resolution: DIDResolutionResult = { didDocument: party.document, didDocumentMetadata: {}, didResolutionMetadata: {} };
  const resolver = { resolve: async () => resolution };
  const payload = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
  const ours = await checkJwtSignature(jwt, payload, party.did, resolver, 'assertionMethod');
  const theirs = await verifyJWT(jwt, { resolver: resolver as unknown as JWTVerifyOptions['resolver'], proofPurpose: 'assertionMethod', policies: { aud: false } }).then(
    () => true,
    () => false,
  );
  expect(theirs).toBe(expected);
  expect(ours === undefined).toBe(expected);
  if (!expected) expect(ours?.code).toBe('invalid-signature');
}

function tamper(jwt: string): string {
  const [header, , signature] = jwt.split('.');
  return `${header}.${Buffer.from(JSON.stringify({ ...PAYLOAD, sub: 'did:example:mallory' })).toString('base64url')}.${signature}`;
}

/** The same signature with S replaced by n − S (the other of the two valid S values), recovery byte kept or flipped. */
function withHighS(jwt: string, n: bigint, flipRecovery = false): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  const s = BigInt(`0x${bytes.subarray(32, 64).toString('hex')}`);
  Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex').copy(bytes, 32);
  if (bytes.length === 65 && flipRecovery) bytes[64] = bytes[64]! ^ 1;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

function withSignatureBytes(jwt: string, edit: (bytes: Buffer) => Buffer): string {
  const [header, payload, signature] = jwt.split('.') as [string, string, string];
  return `${header}.${payload}.${edit(Buffer.from(signature, 'base64url')).toString('base64url')}`;
}

describe('ES256K against a recovery-only did:ethr (no published key: the default did:ethr document)', () => {
  const party = ethrParty();
  const methods = methodsOf(party.document);

  it('has only an address in its document, so the key must be recovered from the signature', () => {
    expect(methods).toHaveLength(1);
    expect(methods[0]).toMatchObject({ type: 'EcdsaSecp256k1RecoveryMethod2020', blockchainAccountId: expect.stringMatching(/^eip155:1:0x/) });
    expect(methods[0]!.publicKeyHex ?? methods[0]!.publicKeyJwk).toBeUndefined();
  });

  it('accepts what did-jwt accepts and refuses what it refuses, before and after the address’s key is known', async () => {
    const jwt = await party.sign(PAYLOAD, 'ES256K');
    // Fresh: recovered. Then: verified with the key learned for the address (valid and tampered alike).
    for (let round = 0; round < 2; round++) {
      expectSameVerdict(jwt, methods, true);
      expectSameVerdict(tamper(jwt), methods, false);
    }
    await expectSameThroughDocument(jwt, party, true);
    await expectSameThroughDocument(tamper(jwt), party, false);
  });

  it('accepts a high-S signature as did-jwt does (it normalizes S), and refuses r or s out of range', async () => {
    const jwt = await party.sign({ ...PAYLOAD, jti: 'high-s' }, 'ES256K');
    expectSameVerdict(withHighS(jwt, SECP256K1_N), methods, true);
    expectSameVerdict(withHighS(jwt, SECP256K1_N), methodsOf(ethrParty().document), false);
    expectSameVerdict(withSignatureBytes(jwt, (b) => Buffer.concat([Buffer.alloc(32), b.subarray(32)])), methods, false);
    expectSameVerdict(withSignatureBytes(jwt, (b) => Buffer.concat([b.subarray(0, 32), Buffer.from(SECP256K1_N.toString(16), 'hex')])), methods, false);
    // 65 bytes under ES256K (a recovery byte did-jwt does not expect): refused by both.
    expectSameVerdict(withSignatureBytes(jwt, (b) => Buffer.concat([b, Buffer.from([0])])), methods, false);
  });

  it('ES256K-R: the recovery byte decides, as in did-jwt (flipped or out of range: refused), high S only with the matching byte', async () => {
    const jwt = await party.sign(PAYLOAD, 'ES256K-R');
    expect(Buffer.from(jwt.split('.')[2]!, 'base64url')).toHaveLength(65);
    expectSameVerdict(jwt, methods, true);
    expectSameVerdict(tamper(jwt), methods, false);
    expectSameVerdict(withSignatureBytes(jwt, (b) => Buffer.concat([b.subarray(0, 64), Buffer.from([b[64]! ^ 1])])), methods, false);
    expectSameVerdict(withSignatureBytes(jwt, (b) => Buffer.concat([b.subarray(0, 64), Buffer.from([b[64]! + 27])])), methods, false);
    expectSameVerdict(withHighS(jwt, SECP256K1_N, true), methods, true);
    expectSameVerdict(withHighS(jwt, SECP256K1_N, false), methods, false);
    // Without the recovery byte both bits are tried.
    expectSameVerdict(withSignatureBytes(jwt, (b) => b.subarray(0, 64)), methods, true);
    await expectSameThroughDocument(jwt, party, true);
  });

  it('refuses a signature by another key, whose address is not the document’s', async () => {
    const mallory = ethrParty();
    const forged = await mallory.sign({ ...PAYLOAD, iss: party.did }, 'ES256K');
    expectSameVerdict(forged, methods, false);
    await expectSameThroughDocument(forged, party, false);
  });

  it('agrees with did-jwt on arbitrary corruptions of the signature (property)', async () => {
    const jwt = await party.sign({ ...PAYLOAD, jti: 'corrupt' }, 'ES256K');
    const signature = Buffer.from(jwt.split('.')[2]!, 'base64url');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 255 }), (index, xor) => {
        const corrupted = withSignatureBytes(jwt, () => {
          const copy = Buffer.from(signature);
          copy[index] = copy[index]! ^ xor;
          return copy;
        });
        expect(native(corrupted, methods)).toBe(didJwtAccepts(corrupted, methods) ? 'valid' : 'invalid');
      }),
      { numRuns: 40 },
    );
  });
});

describe('ES256K against published secp256k1 keys', () => {
  it('a did:ethr named by its public key (a #controllerKey with publicKeyHex), high S included', async () => {
    const wallet = Wallet.createRandom();
    const compressed = SigningKey.computePublicKey(wallet.publicKey, true);
    const did = `did:ethr:${compressed}`;
    const document = ethrDocument(did, wallet.address, compressed);
    const methods = methodsOf(document);
    expect(methods.map((m) => m.type)).toEqual(['EcdsaSecp256k1RecoveryMethod2020', 'EcdsaSecp256k1VerificationKey2019']);
    const jwt = await createJWT({ ...PAYLOAD, iss: did }, { issuer: did, signer: ES256KSigner(hexToBytes(wallet.privateKey)) }, { alg: 'ES256K' });
    expectSameVerdict(jwt, methods, true);
    expectSameVerdict(withHighS(jwt, SECP256K1_N), methods, true);
    expectSameVerdict(tamper(jwt), methods, false);
    // The published key alone (no address method): verified, not recovered.
    const keyOnly = methods.filter((m) => m.publicKeyHex);
    expectSameVerdict(jwt, keyOnly, true);
    expectSameVerdict(tamper(jwt), keyOnly, false);
    await expectSameThroughDocument(jwt, { did, document }, true);
  });

  it('a key added to a did:ethr by the registry (did/pub/Secp256k1/veriKey/hex), signing for it', async () => {
    const identity = Wallet.createRandom();
    const delegate = Wallet.createRandom();
    const did = `did:ethr:${identity.address.toLowerCase()}`;
    const attribute = {
      _eventName: 'DIDAttributeChanged',
      identity: identity.address,
      name: 'did/pub/Secp256k1/veriKey/hex',
      value: SigningKey.computePublicKey(delegate.publicKey, false),
      validTo: BigInt(Math.floor(Date.now() / 1000) + 86_400),
      previousChange: 0n,
      blockNumber: 1,
    };
    const document = ethrDocument(did, identity.address, undefined, [attribute]);
    expect(document.verificationMethod!.some((m) => m.type === 'EcdsaSecp256k1VerificationKey2019' && m.publicKeyHex)).toBe(true);
    const jwt = await createJWT({ ...PAYLOAD, iss: did }, { issuer: did, signer: ES256KSigner(hexToBytes(delegate.privateKey)) }, { alg: 'ES256K' });
    expectSameVerdict(jwt, methodsOf(document), true);
    expectSameVerdict(tamper(jwt), methodsOf(document), false);
    await expectSameThroughDocument(jwt, { did, document }, true);
    await expectSameThroughDocument(tamper(jwt), { did, document }, false);
  });
});

describe('EdDSA (did:key) and ES256 (did:web with a JWK)', () => {
  let ed: Party;
  beforeAll(async () => {
    ed = await didKeyParty();
  });

  it('EdDSA: a good signature is accepted natively; a bad one is left to did-jwt, which refuses it', async () => {
    const methods = methodsOf(ed.document);
    const jwt = await ed.sign(PAYLOAD, 'EdDSA');
    expectSameVerdict(jwt, methods, true);
    expectSameVerdict(tamper(jwt), methods, false, true);
    expectSameVerdict(withSignatureBytes(jwt, (b) => b.subarray(0, 63)), methods, false, true);
    await expectSameThroughDocument(jwt, ed, true);
    await expectSameThroughDocument(tamper(jwt), ed, false);
  });

  it('ES256: accepted and refused as by did-jwt, high S included (P-256 has no low-S rule)', async () => {
    const web = didWebParty();
    const methods = methodsOf(web.document);
    const jwt = await web.sign(PAYLOAD, 'ES256');
    expectSameVerdict(jwt, methods, true);
    expectSameVerdict(withHighS(jwt, P256_N), methods, true);
    expectSameVerdict(tamper(jwt), methods, false);
    expectSameVerdict(withSignatureBytes(jwt, (b) => Buffer.concat([b.subarray(0, 32), Buffer.from(P256_N.toString(16), 'hex')])), methods, false);
    expectSameVerdict(await didWebParty().sign(PAYLOAD, 'ES256'), methods, false);
    await expectSameThroughDocument(jwt, web, true);
    await expectSameThroughDocument(tamper(jwt), web, false);
  });

  it('a wrong key type for the algorithm verifies nothing (an Ed25519 key under ES256, a P-256 key under EdDSA)', async () => {
    const web = didWebParty();
    expectSameVerdict(await web.sign(PAYLOAD, 'ES256'), methodsOf(ed.document), false);
    expectSameVerdict(await ed.sign(PAYLOAD, 'EdDSA'), methodsOf(web.document), false, true);
  });
});

describe('key selection and the fallback to did-jwt', () => {
  it('a "kid" naming another key, or none of the document, changes nothing: did-jwt does not select by kid', async () => {
    const party = ethrParty();
    for (const kid of [`${party.did}#delegate-9`, 'did:example:other#key-1']) {
      const jwt = await party.sign(PAYLOAD, 'ES256K', { kid });
      expectSameVerdict(jwt, methodsOf(party.document), true);
      await expectSameThroughDocument(jwt, party, true);
      await expectSameThroughDocument(tamper(jwt), party, false);
    }
  });

  it('a key outside the proof purpose does not count (an authentication-only key for an assertion)', async () => {
    const web = didWebParty();
    const document = { ...web.document, assertionMethod: [] };
    await expectSameThroughDocument(await web.sign(PAYLOAD, 'ES256'), { did: web.did, document }, false);
  });

  it('a document without "assertionMethod" lets every key assert, as did-jwt does', async () => {
    const web = didWebParty();
    const { assertionMethod: _dropped, ...document } = web.document;
    await expectSameThroughDocument(await web.sign(PAYLOAD, 'ES256'), { did: web.did, document }, true);
  });

  it('leaves to did-jwt what it does not cover: another algorithm, a base64 key, a Bitcoin account id', async () => {
    const party = ethrParty();
    const jwt = await party.sign(PAYLOAD, 'ES256K');
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    expect(verifySignatureNatively('ES384', `${header}.${payload}`, signature, methodsOf(party.document))).toBe('undecided');

    // did-jwt reads a publicKeyBase64: the native path does not, so did-jwt decides, and accepts.
    const publicKey = new SigningKey(party.privateKey).publicKey;
    const base64Method = { id: `${party.did}#b64`, type: 'EcdsaSecp256k1VerificationKey2019', controller: party.did, publicKeyBase64: Buffer.from(publicKey.slice(2), 'hex').toString('base64') };
    const base64Document: DIDDocument = { id: party.did, verificationMethod: [base64Method], assertionMethod: [base64Method.id] };
    expect(native(jwt, [base64Method])).toBe('undecided');
    expect(native(tamper(jwt), [base64Method])).toBe('undecided');
    await expectSameThroughDocument(jwt, { did: party.did, document: base64Document }, true);
    await expectSameThroughDocument(tamper(jwt), { did: party.did, document: base64Document }, false);

    // A CAIP-10 Bitcoin account (did-jwt derives its address; the native path does not): undecided, did-jwt refuses.
    const bitcoin = { id: `${party.did}#btc`, type: 'EcdsaSecp256k1RecoveryMethod2020', controller: party.did, blockchainAccountId: 'bip122:000000000019d6689c085ae165831e93:128Lkh3S7CkDTBZ8W7BbpsN3YYizJMp8p6' };
    expect(native(jwt, [bitcoin])).toBe('undecided');
    expect(didJwtAccepts(jwt, [bitcoin])).toBe(false);
  });
});
