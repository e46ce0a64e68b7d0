// The transparency log on a real service: signed checkpoints that an independent implementation
// (Sigstore's @sigstore/verify, which reads C2SP checkpoints for Rekor) accepts with their inclusion
// proofs, consistency proofs between what was seen and what is served, and receipts whose batch
// commits to the log as it stood: the checkpoint a client saw earlier is the commitment leaf itself.
import { createPublicKey } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/core/log/checkpoint';
import { openSignedNote, parseVerifierKey } from '../../src/core/log/signed-note';
import { hexToBytes } from '../../src/core/hex';
import { verifyConsistency } from '../../src/core/merkle/consistency';
import { api, startServiceProcess, type ServiceProcess } from '../helpers/service-process';

// Sigstore's checkpoint and inclusion checks (not exported by the package index; the files are public).
const { verifyCheckpoint } = require('@sigstore/verify/dist/tlog/checkpoint') as { verifyCheckpoint: (entry: unknown, tlogs: unknown[]) => { logSize: bigint; logHash: Buffer } };
const { verifyMerkleInclusion } = require('@sigstore/verify/dist/tlog/merkle') as { verifyMerkleInclusion: (entry: unknown, checkpoint: unknown) => void };

describe('the transparency log of a running service', () => {
  let service: ServiceProcess;
  const checkpoints: string[] = [];
  const documents: string[] = [];
  beforeAll(async () => {
    service = await startServiceProcess();
    for (let batch = 0; batch < 3; batch++) {
      const hash = randomBytes(32).toString('hex');
      documents.push(hash);
      expect((await api(service, 'POST', '/v1/documents', { hash })).status).toBe(202);
      expect((await api(service, 'POST', '/v1/batches/anchor')).status).toBe(200);
      checkpoints.push((await fetch(`${service.url}/v1/log/checkpoint`).then((r) => r.text())));
    }
  });
  afterAll(async () => {
    await service?.stop();
  });

  const openCheckpoint = async (note: string) => {
    const info = (await api(service, 'GET', '/v1/info')).json;
    return parseCheckpoint(await openSignedNote(note, parseVerifierKey(info.log.verifierKey)));
  };

  it('signs checkpoints with the key /v1/info and the did:web document publish', async () => {
    const info = (await api(service, 'GET', '/v1/info')).json;
    const latest = await openCheckpoint(checkpoints[2]!);
    expect(latest.origin).toBe(info.log.origin);
    expect(latest.size).toBeGreaterThanOrEqual(3);
    const did = (await api(service, 'GET', '/.well-known/did.json')).json;
    const key = did.verificationMethod.find((method: { id: string }) => method.id.endsWith('#log-key'));
    expect(Buffer.from(key.publicKeyJwk.x, 'base64url')).toEqual(Buffer.from(parseVerifierKey(info.log.verifierKey).publicKey));
  });

  it('serves checkpoints and inclusion proofs that Sigstore\'s verifier accepts', async () => {
    const info = (await api(service, 'GET', '/v1/info')).json;
    const vkey = parseVerifierKey(info.log.verifierKey);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), vkey.publicKey]);
    const keyHint = Buffer.alloc(4);
    keyHint.writeUInt32BE(vkey.keyId);
    const tlog = { logID: Buffer.concat([keyHint, Buffer.alloc(28)]), publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }), baseURL: `https://${info.log.origin}` };
    const note = checkpoints[2]!;
    const size = (await openCheckpoint(note)).size;
    const { entries } = (await api(service, 'GET', `/v1/log/entries?start=0&end=${size}`)).json;
    for (const entry of entries as Array<{ index: number; root: string }>) {
      const proof = (await api(service, 'GET', `/v1/log/proofs/inclusion?index=${entry.index}&size=${size}`)).json;
      const sigstoreEntry = {
        canonicalizedBody: Buffer.from(entry.root, 'hex'),
        inclusionProof: { logIndex: String(entry.index), treeSize: String(size), rootHash: Buffer.from(proof.root, 'hex'), hashes: proof.auditPath.map((h: string) => Buffer.from(h, 'hex')), checkpoint: { envelope: note } },
      };
      const checkpoint = verifyCheckpoint(sigstoreEntry, [tlog]);
      expect(() => verifyMerkleInclusion(sigstoreEntry, checkpoint)).not.toThrow();
      // ...and a tampered entry is refused by the same code.
      const tampered = { ...sigstoreEntry, canonicalizedBody: Buffer.from(entry.root.replace(/^./, (c) => (c === '0' ? '1' : '0')), 'hex') };
      expect(() => verifyMerkleInclusion(tampered, checkpoint)).toThrow(/does not match/);
    }
    expect(() => verifyCheckpoint({ inclusionProof: { checkpoint: { envelope: note.replace(/\n\d+\n/, '\n999\n') } } }, [tlog])).toThrow(/signature/);
  });

  it('proves every checkpoint seen earlier consistent with the latest', async () => {
    const latest = await openCheckpoint(checkpoints[2]!);
    for (const note of checkpoints.slice(0, 2)) {
      const earlier = await openCheckpoint(note);
      const proof = (await api(service, 'GET', `/v1/log/proofs/consistency?from=${earlier.size}&to=${latest.size}`)).json;
      expect(verifyConsistency({ size1: earlier.size, size2: latest.size, root1: earlier.root, root2: latest.root, proof: proof.proof.map(hexToBytes) })).toEqual({ ok: true });
    }
  });

  it('gives receipts whose batch commits to the log a client saw before it', async () => {
    const receipt = (await api(service, 'GET', `/v1/receipts/${documents[2]}`)).json;
    const seenBefore = await openCheckpoint(checkpoints[1]!);
    expect(receipt.log).toMatchObject({ origin: seenBefore.origin, index: seenBefore.size, commitment: { size: seenBefore.size, root: Buffer.from(seenBefore.root).toString('hex') } });
    const verified = (await api(service, 'POST', '/v1/receipts/verify', { receipt, hash: documents[2] })).json;
    expect(verified).toMatchObject({ valid: true, log: { index: seenBefore.size } });
    const forged = structuredClone(receipt);
    forged.log.commitment.root = 'ab'.repeat(32);
    expect((await api(service, 'POST', '/v1/receipts/verify', { receipt: forged })).json).toMatchObject({ valid: false, reason: 'bad-log-commitment' });
  });

  it('answers sizes beyond the log with a problem, not a proof', async () => {
    for (const path of ['/v1/log/proofs/inclusion?index=999', '/v1/log/proofs/consistency?from=5&to=2', '/v1/log/proofs/consistency?from=1&to=999', '/v1/log/entries?start=999']) {
      const answer = await api(service, 'GET', path);
      expect(answer.status, path).toBe(400);
      expect(answer.json.type).toMatch(/urn:did-notary:problem:(invalid-log-range|validation-failed)/);
    }
  });
});
