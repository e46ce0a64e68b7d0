// Benchmark building block: credentials issued/s and verified/s through the service code (real store,
// status lists, warm DID cache) against raw did-jwt-vc create/verify on the same inputs, verified for
// ES256K (the service's did:ethr, recovery-only) and EdDSA (a did:key issuer) apart; presentations
// holding two credentials against did-jwt-vc's verifyPresentation plus verifyCredential of each; VC Data Model
// 2.0 verification against 1.1 in the same service; SD-JWT VCs issued and verified against
// @sd-jwt/sd-jwt-vc alone with the same key.
import { connectEmbeddedChain } from '../src/platform/chain/embedded-anvil/embedded-provider';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bytesToMultibase, EdDSASigner, ES256KSigner, hexToBytes } from 'did-jwt';
import { createVerifiableCredentialJwt, createVerifiablePresentationJwt, verifyCredential, verifyPresentation } from 'did-jwt-vc';
import type { DIDResolutionResult } from 'did-resolver';
import { Wallet } from 'ethers';
import { ensureEmbeddedDeployment } from '../src/platform/chain/deployment';
import { ANVIL_DEV_FUNDER_KEY, startEmbeddedAnvil } from '../src/platform/chain/embedded-anvil/embedded-anvil';
import { createIdentityServices } from '../src/identity/identity-services';
import type { IssuedJwtVc, IssuedSdJwtVc } from '../src/identity/credentials/issuance/credential-issuer';
import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { loadServiceKeys } from '../src/identity/keys/service-keys';
import { ServiceKeyStore } from '../src/identity/sql/service-key-store';
import { VC_CONTEXT_V1 } from '../src/identity/credentials/verification/vc-payload';
import { openServiceDatabase } from '../src/schema';

export interface BenchFigure {
  /** The figure id (bench/credentials-hook.ts) this row measures. */
  id: string;
  figure: string;
  value: number;
  unit: string;
  /** The same work done by the peer (raw did-jwt-vc or @sd-jwt/sd-jwt-vc: no store, no status list). */
  peerValue: number;
  /** value / peerValue. */
  ratio: number;
  /** For a "not slower" figure: ours / peer in each pair of alternating rounds (drift cancels within a pair). */
  pairedRatios?: number[];
}

export interface BenchCredentialsOptions {
  /** How long each measurement runs in total (default 3 s), split into rounds alternating with the peer. */
  durationMs?: number;
  /** Where to put the temporary store and chain (default: the OS temp dir). */
  tmpDir?: string;
  /** Requests in flight at once, for the service and the peer alike (default 16): a service serves many clients. */
  concurrency?: number;
}

/** Service and peer alternate in this many rounds, so load drift on the machine hits both alike. */
const ROUNDS = 4;

const SUBJECT = 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK';
const CLAIMS = { member: { name: 'Alice', level: 'gold', since: '2024-01-01' } };
const SD_JWT_VCT = 'https://credentials.example.com/identity_credential';
/** The claims of the SD-JWT VC figures, each disclosable on its own (the service's default, and the peer's frame). */
const PERSON = { given_name: 'Alice', family_name: 'Doe', birthdate: '2000-01-01', age_over_18: true, address: { locality: 'Berlin', country: 'DE' } };

export async function benchCredentials(options: BenchCredentialsOptions = {}): Promise<BenchFigure[]> {
  const durationMs = options.durationMs ?? 3_000;
  const dataDir = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), 'did-notary-bench-credentials-'));
  const anvil = await startEmbeddedAnvil({ dataDir });
  const provider = connectEmbeddedChain(anvil);
  const db = await openServiceDatabase({ dataDir }).catch(async (error: unknown) => {
    await anvil.stop();
    throw error;
  });
  try {
    const signerPrivateKey = Wallet.createRandom().privateKey;
    const deployment = await ensureEmbeddedDeployment({
      dataDir,
      provider,
      funder: new Wallet(ANVIL_DEV_FUNDER_KEY, provider),
      signerAddress: new Wallet(signerPrivateKey).address,
    });
    const keys = await loadServiceKeys({ store: new ServiceKeyStore(db), keysDir: path.join(dataDir, 'keys'), signerPrivateKey });
    const services = createIdentityServices({
      db,
      keys,
      chainId: anvil.chainId,
      ethrNetworks: [{ chainId: anvil.chainId, registry: deployment.didRegistry, provider }],
      baseUrl: () => 'http://127.0.0.1:8080',
      notarize: async () => undefined,
      didCache: { ttlMs: 3_600_000 },
    });
    const { identity } = services;
    const request = { subject: SUBJECT, type: 'MembershipCredential', claims: CLAIMS };

    // Warm up: status lists exist, the service DID is resolved and cached, code paths are compiled.
    const warm = await services.issuer.issue('bench', request);
    await services.verifier.verify({ jwt: (warm.result as IssuedJwtVc).jwt });

    const concurrency = options.concurrency ?? 16;
    const slice = durationMs / ROUNDS;
    const payload = {
      sub: SUBJECT,
      nbf: Math.floor(Date.now() / 1000),
      vc: { '@context': [VC_CONTEXT_V1], type: ['VerifiableCredential', 'MembershipCredential'], credentialSubject: { id: SUBJECT, ...CLAIMS } },
    };
    // The peer signs as a did-jwt-vc user would: did-jwt's ES256K signer on the calling thread.
    const rawSigner = ES256KSigner(hexToBytes(signerPrivateKey), false);
    const issuedJwts: string[] = [];
    const rawJwts: string[] = [];
    const issueOnce = async () => {
      issuedJwts.push(((await services.issuer.issue('bench', request)).result as IssuedJwtVc).jwt);
    };
    const rawIssueOnce = async () => {
      // A unique id, as the service gives each credential: identical inputs would sign (RFC 6979) to
      // one identical JWT, whose fixed recovery bit would make raw verification look 1.5x faster or slower.
      const jwt = await createVerifiableCredentialJwt({ ...payload, jti: `urn:uuid:${randomUUID()}` }, { did: identity.did, signer: rawSigner, alg: identity.alg });
      rawJwts.push(jwt);
    };
    // Service and peer alternate, each after an uncounted warm-up: under load, until the JIT has
    // compiled the hot paths and the embedded database's WebAssembly has been tiered up (in background
    // threads, about a second of CPU), neither side is at its steady speed; one warm-up call above
    // does not get there.
    const measure = async (service: () => Promise<void | boolean>, peer: () => Promise<void>, rounds = ROUNDS): Promise<[Rate, Rate]> => {
      const warmupMs = Math.min(1_000, slice);
      await new Rate().measure(warmupMs, concurrency, service);
      await new Rate().measure(warmupMs, concurrency, peer);
      const rates: [Rate, Rate] = [new Rate(), new Rate()];
      for (let round = 0; round < rounds; round++) {
        await rates[0].measure((slice * ROUNDS) / rounds, concurrency, service);
        await rates[1].measure((slice * ROUNDS) / rounds, concurrency, peer);
      }
      return rates;
    };
    const [issued, rawIssued] = await measure(issueOnce, rawIssueOnce);

    const resolution = await services.resolver.resolve(identity.did);
    const staticResolver = { resolve: async () => resolution } as unknown as Parameters<typeof verifyCredential>[1];
    let next = 0;
    let rawNext = 0;
    const verifyOnce = async () => {
      const result = await services.verifier.verify({ jwt: issuedJwts[next++ % issuedJwts.length]! });
      if (!result.verified) throw new Error(`benchmark credential did not verify: ${JSON.stringify(result.errors)}`);
    };
    const rawVerifyOnce = async () => {
      await verifyCredential(rawJwts[rawNext++ % rawJwts.length]!, staticResolver);
    };
    const [verified, rawVerified] = await measure(verifyOnce, rawVerifyOnce);

    // EdDSA: credentials from a did:key (Ed25519) issuer, no status list; the service resolves did:key
    // through its DID cache, the peer through a static resolver. Both verify the same JWTs.
    const edIssuer = freshDidKey();
    const edResolution = await services.resolver.resolve(edIssuer.did);
    const edJwts: string[] = [];
    for (let i = 0; i < 64; i++) {
      edJwts.push(await createVerifiableCredentialJwt({ ...payload, jti: `urn:uuid:${randomUUID()}` }, { did: edIssuer.did, signer: edIssuer.signer, alg: 'EdDSA' }));
    }
    const edStaticResolver = { resolve: async () => edResolution } as unknown as Parameters<typeof verifyCredential>[1];
    let edNext = 0;
    let rawEdNext = 0;
    const verifyEdOnce = async () => {
      const result = await services.verifier.verify({ jwt: edJwts[edNext++ % edJwts.length]! });
      if (!result.verified) throw new Error(`benchmark EdDSA credential did not verify: ${JSON.stringify(result.errors)}`);
    };
    const rawVerifyEdOnce = async () => {
      await verifyCredential(edJwts[rawEdNext++ % edJwts.length]!, edStaticResolver);
    };
    const [verifiedEd, rawVerifiedEd] = await measure(verifyEdOnce, rawVerifyEdOnce);

    // Presentations: a did:key holder presents two credentials the service issued to it (ES256K, status
    // lists; VC Data Model 1.1, which did-jwt-vc reads), for a live single-use challenge. Each presentation verifies once through the service (the
    // nonce is consumed), so they are made beforehand, as many as a short calibration says the run needs;
    // the peer (did-jwt-vc verifyPresentation + verifyCredential of both, static resolver, no nonce store)
    // cycles through the same ones.
    const presenter = freshDidKey();
    const holderVcs: string[] = [];
    for (let i = 0; i < 2; i++) holderVcs.push(((await services.issuer.issue('bench', { ...request, subject: presenter.did, dataModel: '1.1' })).result as IssuedJwtVc).jwt);
    const domain = 'https://verifier.example';
    const makePresentations = async (count: number): Promise<Array<{ jwt: string; nonce: string }>> => {
      const made: Array<{ jwt: string; nonce: string }> = [];
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (made.length < count) {
            const { nonce } = await services.challenges.create('bench', { domain, ttlSeconds: 3_600 });
            const vp = { vp: { '@context': [VC_CONTEXT_V1], type: ['VerifiablePresentation'], verifiableCredential: holderVcs }, nonce, aud: domain };
            made.push({ jwt: await createVerifiablePresentationJwt(vp, { did: presenter.did, signer: presenter.signer, alg: 'EdDSA' }), nonce });
          }
        }),
      );
      return made;
    };
    let presentations = await makePresentations(256);
    const peerPresentations = presentations.slice();
    const presentationResolutions = new Map<string, DIDResolutionResult>([
      [presenter.did, await services.resolver.resolve(presenter.did)],
      [identity.did, resolution],
    ]);
    const presentationResolver = { resolve: async (did: string) => presentationResolutions.get(did.split('#')[0]!)! } as unknown as Parameters<typeof verifyPresentation>[1];
    const verifyPresentationOnce = async (): Promise<boolean> => {
      const next = presentations.pop();
      if (!next) return false;
      const result = await services.presentations.verify('bench', next);
      if (!result.verified) throw new Error(`benchmark presentation did not verify: ${JSON.stringify(result.errors)}`);
      return true;
    };
    let peerNext = 0;
    const rawVerifyPresentationOnce = async () => {
      const { jwt, nonce } = peerPresentations[peerNext++ % peerPresentations.length]!;
      const verified = await verifyPresentation(jwt, presentationResolver, { challenge: nonce, domain });
      for (const vc of verified.verifiablePresentation.verifiableCredential ?? []) {
        await verifyCredential(typeof vc === 'string' ? vc : vc.proof.jwt, presentationResolver);
      }
    };
    const calibration = new Rate();
    await calibration.measure(Math.min(1_000, slice), concurrency, verifyPresentationOnce);
    presentations = await makePresentations(Math.ceil(calibration.perSecond() * ((durationMs + Math.min(1_000, slice)) / 1000) * 1.5) + concurrency);
    const [verifiedVp, rawVerifiedVp] = await measure(verifyPresentationOnce, rawVerifyPresentationOnce);

    // VC Data Model 2.0 against 1.1, both issued and verified by the service.
    const legacyJwts: string[] = [];
    for (let i = 0; i < 64; i++) legacyJwts.push(((await services.issuer.issue('bench', { ...request, dataModel: '1.1' })).result as IssuedJwtVc).jwt);
    let legacyNext = 0;
    const verifyLegacyOnce = async () => {
      const result = await services.verifier.verify({ jwt: legacyJwts[legacyNext++ % legacyJwts.length]! });
      if (!result.verified || result.dataModel !== '1.1') throw new Error(`benchmark 1.1 credential did not verify: ${JSON.stringify(result.errors)}`);
    };
    // The same work but for the payload's shape: shorter rounds, more of them, so that load drift on a
    // shared machine falls on both alike (a ratio near 1 is what is measured).
    const [verifiedVc2, verifiedVc11] = await measure(verifyOnce, verifyLegacyOnce, 4 * ROUNDS);

    // SD-JWT VCs: the service against @sd-jwt/sd-jwt-vc alone, with the service's own ES256 key.
    const es256 = services.keys.es256();
    const library = new SDJwtVcInstance({
      signer: await ES256.getSigner(es256.privateJwk()),
      signAlg: 'ES256',
      verifier: await ES256.getVerifier(es256.publicJwk),
      hasher: digest,
      hashAlg: 'sha-256',
      saltGenerator: generateSalt,
    });
    const holder = (await ES256.generateKeyPair()).publicKey as Record<string, string>;
    const holderJwk = { kty: holder.kty!, crv: holder.crv!, x: holder.x!, y: holder.y! };
    const sdRequest = { format: 'dc+sd-jwt' as const, vct: SD_JWT_VCT, claims: PERSON, holder: { jwk: holderJwk } };
    const issuedSdJwts: string[] = [];
    const librarySdJwts: string[] = [];
    const sdIssueOnce = async () => {
      issuedSdJwts.push(((await services.issuer.issue('bench', sdRequest)).result as IssuedSdJwtVc).sdJwt);
    };
    const librarySdIssueOnce = async () => {
      const payload = { iss: services.issuerUrl(), iat: Math.floor(Date.now() / 1000), vct: SD_JWT_VCT, cnf: { jwk: holderJwk }, ...PERSON };
      librarySdJwts.push(await library.issue(payload, { _sd: Object.keys(PERSON) as never }, { header: { kid: es256.id } }));
    };
    const [sdIssued, librarySdIssued] = await measure(sdIssueOnce, librarySdIssueOnce);
    let sdNext = 0;
    let librarySdNext = 0;
    const sdVerifyOnce = async () => {
      const result = await services.verifier.verify({ credential: issuedSdJwts[sdNext++ % issuedSdJwts.length]! });
      if (!result.verified) throw new Error(`benchmark SD-JWT VC did not verify: ${JSON.stringify(result.errors)}`);
    };
    const librarySdVerifyOnce = async () => {
      await library.verify(librarySdJwts[librarySdNext++ % librarySdJwts.length]!);
    };
    const [sdVerified, librarySdVerified] = await measure(sdVerifyOnce, librarySdVerifyOnce);

    return [
      figure('credentials.issue', `credentials issued per second (service: validate, sign ES256K, claim random status indices and record in the store; ${concurrency} in flight)`, issued.perSecond(), rawIssued.perSecond()),
      figure('credentials.verify', `ES256K credentials verified per second (service: its own did:ethr, recovery-only; strict decoding, warm DID cache, signature, times, status lists in the store; peer: did-jwt-vc verifyCredential, static resolver; ${concurrency} in flight)`, verified.perSecond(), rawVerified.perSecond()),
      figure('credentials.verify-eddsa', `EdDSA credentials verified per second (issuer: a did:key, Ed25519; service: strict decoding, warm DID cache, signature, times; peer: did-jwt-vc verifyCredential, static resolver; ${concurrency} in flight)`, verifiedEd.perSecond(), rawVerifiedEd.perSecond()),
      figure('credentials.verify-presentation', `presentations verified per second (a did:key holder's EdDSA VP with 2 ES256K credentials of the service; service: holder signature, times, audience, single-use nonce consumed in the store, both credentials with their status lists; peer: did-jwt-vc verifyPresentation + verifyCredential of both, static resolver; ${concurrency} in flight)`, verifiedVp.perSecond(), rawVerifiedVp.perSecond(), 'presentations/s'),
      {
        ...figure('credentials.verify-vc2', `VC Data Model 2.0 credentials verified per second by the service, against 1.1 credentials verified by the same service (warm DID cache, status lists in the store; ${concurrency} in flight; ${verifiedVc2.runs.length} alternating rounds)`, verifiedVc2.perSecond(), verifiedVc11.perSecond()),
        pairedRatios: verifiedVc2.runs.map((rate, i) => rate / verifiedVc11.runs[i]!),
      },
      figure('credentials.sd-jwt-issue', `SD-JWT VCs issued per second (service: validate, ${Object.keys(PERSON).length} disclosable claims, sign ES256, claim a Token Status List index and record in the store; peer: SDJwtVcInstance.issue with @sd-jwt/crypto-nodejs and the same key; ${concurrency} in flight)`, sdIssued.perSecond(), librarySdIssued.perSecond()),
      figure('credentials.sd-jwt-verify', `SD-JWT VCs verified per second (service: signature with its own key, every disclosure, times, Token Status List in the store; peer: SDJwtVcInstance.verify, no status list; ${concurrency} in flight)`, sdVerified.perSecond(), librarySdVerified.perSecond()),
    ];
  } finally {
    provider.destroy();
    await db.close();
    await anvil.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function figure(id: string, name: string, value: number, peerValue: number, unit = 'credentials/s'): BenchFigure {
  return { id, figure: name, value: round(value), unit, peerValue: round(peerValue), ratio: Math.round((value / peerValue) * 100) / 100 };
}

/** Operations per second, accumulated over several timed runs. */
class Rate {
  private count = 0;
  private ms = 0;
  /** Operations per second of each timed run, in order. */
  readonly runs: number[] = [];

  /**
   * Runs `operation` in `concurrency` loops for `durationMs` and adds what completed. An operation that
   * answers false had no input left (presentations are single-use): its loop stops, and the time counted
   * is until the last loop stopped.
   */
  async measure(durationMs: number, concurrency: number, operation: () => Promise<void | boolean>): Promise<void> {
    const started = performance.now();
    const deadline = started + durationMs;
    let completed = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          if ((await operation()) === false) return;
          this.count++;
          completed++;
        }
      }),
    );
    const ms = performance.now() - started;
    this.ms += ms;
    this.runs.push((completed * 1000) / ms);
  }

  perSecond(): number {
    return this.count / (this.ms / 1000);
  }
}

/** A fresh Ed25519 did:key and a did-jwt EdDSA signer for it (as a did-jwt-vc user would sign). */
function freshDidKey(): { did: string; signer: ReturnType<typeof EdDSASigner> } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
  return { did: `did:key:${bytesToMultibase(Buffer.from(jwk.x, 'base64url'), 'base58btc', 'ed25519-pub')}`, signer: EdDSASigner(Buffer.from(jwk.d, 'base64url')) };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

if (require.main === module) {
  benchCredentials({ durationMs: Number(process.env.BENCH_DURATION_MS ?? 3_000) })
    .then((figures) => console.table(figures))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
