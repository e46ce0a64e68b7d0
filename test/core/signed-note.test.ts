// C2SP signed notes and tlog checkpoints against text this project did not write: the examples of
// the C2SP specs (c2sp.org/signed-note, c2sp.org/tlog-checkpoint) and of golang.org/x/mod/sumdb/note,
// the reference implementation the signed-note spec was written from, whose example publishes its key.
import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { base64ToBytes } from '../../src/core/base64';
import { formatCheckpoint, parseCheckpoint } from '../../src/core/log/checkpoint';
import {
  ed25519NoteKeyId,
  formatSignedNote,
  formatVerifierKey,
  openSignedNote,
  parseSignedNote,
  parseVerifierKey,
} from '../../src/core/log/signed-note';

// c2sp.org/signed-note, the example of its introduction, verbatim.
const C2SP_NOTE_EXAMPLE =
  'Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n' +
  '— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n';
// c2sp.org/tlog-checkpoint, the example of its introduction, verbatim.
const C2SP_CHECKPOINT_EXAMPLE =
  'example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n' +
  '— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n';
// golang.org/x/mod/sumdb/note example_test.go: ExampleSign's key and output, ExampleOpen's verifier key.
const GO_SIGNER_KEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const GO_VERIFIER_KEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const GO_TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const GO_NOTE = `${GO_TEXT}\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

/** An Ed25519 key from its 32-byte seed (PKCS#8 with the seed appended to the fixed prefix). */
function ed25519FromSeed(seed: Uint8Array) {
  const privateKey = createPrivateKey({ key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]), format: 'der', type: 'pkcs8' });
  const publicKey = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(-32));
  return { privateKey, publicKey };
}

describe('C2SP examples', () => {
  it('splits the signed-note example at its last blank line, keeping the blank line inside the poem', () => {
    const note = parseSignedNote(C2SP_NOTE_EXAMPLE);
    expect(note.text).toBe('Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n');
    expect(note.signatures).toHaveLength(1);
    expect(note.signatures[0]!.name).toBe('quasimodo.example/salvatore');
    expect(note.signatures[0]!.keyId).toBe(0x367ba04b);
    expect(note.signatures[0]!.signature).toHaveLength(64);
  });

  it('reads the tlog-checkpoint example: origin, size and a 32-byte root', () => {
    const note = parseSignedNote(C2SP_CHECKPOINT_EXAMPLE);
    const checkpoint = parseCheckpoint(note.text);
    expect(checkpoint.origin).toBe('example.com/behind-the-sofa');
    expect(checkpoint.size).toBe(20852163);
    expect(checkpoint.root).toHaveLength(32);
    expect(formatCheckpoint(checkpoint)).toBe(note.text);
    expect(note.signatures[0]!.name).toBe(checkpoint.origin);
  });
});

describe('golang.org/x/mod/sumdb/note example', () => {
  it('verifies its signature with its published verifier key, and rejects the note once changed', async () => {
    const key = parseVerifierKey(GO_VERIFIER_KEY);
    expect(key.keyId).toBe(0xc74f20a3);
    await expect(openSignedNote(GO_NOTE, key)).resolves.toBe(GO_TEXT);
    await expect(openSignedNote(GO_NOTE.replace('answer', 'Answer'), key)).rejects.toThrow(/does not verify/);
    // A signature by another key (same name, other ID) is ignored: the note then has none of ours.
    const other = { ...key, keyId: key.keyId ^ 1 };
    await expect(openSignedNote(GO_NOTE, other)).rejects.toThrow(/not signed by/);
  });

  it('signs byte for byte as the reference implementation (Ed25519 is deterministic)', () => {
    const data = base64ToBytes(GO_SIGNER_KEY.split('+').slice(4).join('+'))!;
    expect(data[0]).toBe(0x01);
    const { privateKey, publicKey } = ed25519FromSeed(data.subarray(1));
    expect(formatVerifierKey('PeterNeumann', publicKey)).toBe(GO_VERIFIER_KEY);
    const signature = new Uint8Array(sign(null, Buffer.from(GO_TEXT), privateKey));
    expect(formatSignedNote(GO_TEXT, [{ name: 'PeterNeumann', keyId: ed25519NoteKeyId('PeterNeumann', publicKey), signature }])).toBe(GO_NOTE);
  });
});

describe('notes we produce', () => {
  it('are checkpoints that parse by the C2SP rules and verify', async () => {
    const { privateKey, publicKey } = ed25519FromSeed(new Uint8Array(32).fill(7));
    const text = formatCheckpoint({ origin: 'notary.example/log', size: 42, root: new Uint8Array(32).fill(1) });
    expect(text).toBe('notary.example/log\n42\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n');
    const keyId = ed25519NoteKeyId('notary.example/log', publicKey);
    const note = formatSignedNote(text, [{ name: 'notary.example/log', keyId, signature: new Uint8Array(sign(null, Buffer.from(text), privateKey)) }]);
    const vkey = formatVerifierKey('notary.example/log', publicKey);
    expect(parseSignedNote(note).text).toBe(text);
    expect(parseCheckpoint(await openSignedNote(note, parseVerifierKey(vkey)))).toMatchObject({ origin: 'notary.example/log', size: 42 });
  });

  it('refuses what the rules forbid', () => {
    const bad = [
      ['no final newline', GO_NOTE.slice(0, -1)],
      ['no blank line', GO_NOTE.replace('\n\n', '\n')],
      ['a control character', GO_NOTE.replace('If', 'I\tf')],
      ['no em dash', GO_NOTE.replace('—', '-')],
      ['bad base64', GO_NOTE.replace('x08go', 'x08g!')],
      ['too short a signature', `${GO_TEXT}\n— PeterNeumann AAAA\n`],
    ] as const;
    for (const [what, note] of bad) expect(() => parseSignedNote(note), what).toThrow();
    expect(() => parseVerifierKey('Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow();
    expect(() => parseVerifierKey('PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW')).toThrow(/does not match/);
    for (const text of ['o\n01\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n', 'o\n1\nAAAA\n', 'o\n1\n', '\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n']) {
      expect(() => parseCheckpoint(text), JSON.stringify(text)).toThrow();
    }
  });
});
