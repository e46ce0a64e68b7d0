// Token verification on its own (what verify-tsr's first half checks): tokens signed by the TSA's
// code, then changed one part at a time, each change caught with its own reason.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTimeStampQuery, isRejection } from '../../src/timestamping/time-stamp-request';
import { TokenSigner } from '../../src/timestamping/time-stamp-token';
import { grantedReply } from '../../src/timestamping/time-stamp-reply';
import { extractTimeStampToken, verifyTimeStampToken } from '../../src/timestamping/token-verification';
import { loadTsaCredentials } from '../../src/timestamping/tsa-credentials';
import { makeTempDir } from '../helpers/service-process';
import { opensslOk } from '../helpers/openssl';
import fs from 'node:fs';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Accuracy, TimeStampResp, TSTInfo } from '@peculiar/asn1-tsp';

describe('time-stamp token verification', () => {
  const dir = makeTempDir('did-notary-token-');
  const credentials = loadTsaCredentials({ dataDir: dir });
  const signer = new TokenSigner(credentials.privateKey, credentials.chainDer, { policy: '1.2.3.4', accuracyMs: 500 });
  const document = new TextEncoder().encode('a document\n');
  const trustedCertificates = credentials.chainDer;
  // Within the generated certificate's validity, which starts a minute before it was made.
  const genTime = new Date(Math.floor(Date.now() / 1000) * 1000 + 250);

  const tokenFor = async (includeCertificates: boolean) => {
    fs.writeFileSync(path.join(dir, 'document.txt'), document);
    await opensslOk(['ts', '-query', '-data', 'document.txt', '-sha512', '-out', 'query.tsq'], dir);
    const query = readTimeStampQuery(fs.readFileSync(path.join(dir, 'query.tsq')), '1.2.3.4');
    if (isRejection(query)) throw new Error(query.reason);
    return signer.sign({ messageImprintDer: query.messageImprintDer, serialNumber: 77n, genTime, nonce: query.nonce, includeCertificates });
  };

  it('verifies a token, found in a reply or alone, with its time, accuracy, serial and policy', async () => {
    const token = await tokenFor(true);
    expect(Buffer.from(extractTimeStampToken(grantedReply(token))).equals(Buffer.from(token))).toBe(true);
    expect(Buffer.from(extractTimeStampToken(token)).equals(Buffer.from(token))).toBe(true);
    expect(verifyTimeStampToken(token, { documentBytes: document, trustedCertificates })).toMatchObject({
      valid: true,
      genTime,
      accuracyMs: 500,
      serialNumber: 77n,
      policy: '1.2.3.4',
      algorithm: 'sha512',
    });
  });

  it('names what is wrong: another document, a changed TSTInfo, a changed signature, a missing or untrusted certificate, a certificate not valid then', async () => {
    const token = await tokenFor(true);
    expect(verifyTimeStampToken(token, { documentBytes: new TextEncoder().encode('another\n'), trustedCertificates })).toMatchObject({ valid: false, reason: 'wrong-document' });

    // The serial number inside the TSTInfo, changed: the signed message digest no longer matches.
    const tstInfoSerial = Buffer.from(token).indexOf(Buffer.from([0x02, 0x01, 77]));
    const changedContent = Buffer.from(token);
    changedContent[tstInfoSerial + 2] = 78;
    expect(verifyTimeStampToken(changedContent, { documentBytes: document, trustedCertificates })).toMatchObject({ valid: false, reason: 'bad-signed-attributes' });

    // The last byte of the token is the signature's.
    const changedSignature = Buffer.from(token);
    changedSignature[changedSignature.length - 1]! ^= 0x01;
    expect(verifyTimeStampToken(changedSignature, { documentBytes: document, trustedCertificates })).toMatchObject({ valid: false, reason: 'bad-signature' });

    const withoutCertificate = await tokenFor(false);
    expect(verifyTimeStampToken(withoutCertificate, { documentBytes: document, trustedCertificates: [] })).toMatchObject({ valid: false, reason: 'no-signer-certificate' });
    expect(verifyTimeStampToken(withoutCertificate, { documentBytes: document, trustedCertificates: [], untrustedCertificates: trustedCertificates })).toMatchObject({
      valid: false,
      reason: 'untrusted-certificate',
    });
    expect(verifyTimeStampToken(withoutCertificate, { documentBytes: document, trustedCertificates })).toMatchObject({ valid: true });

    const query = readTimeStampQuery(fs.readFileSync(path.join(dir, 'query.tsq')), '1.2.3.4');
    if (isRejection(query)) throw new Error(query.reason);
    const beforeTheCertificate = signer.sign({ messageImprintDer: query.messageImprintDer, serialNumber: 78n, genTime: new Date(Date.now() - 3_600_000), includeCertificates: true });
    expect(verifyTimeStampToken(beforeTheCertificate, { documentBytes: document, trustedCertificates })).toMatchObject({ valid: false, reason: 'untrusted-certificate', message: expect.stringMatching(/was not valid at/) });
  });

  it('is the DER the ASN.1 libraries themselves write: with and without certificates, nonce and accuracy, token and reply', async () => {
    const withoutAccuracy = new TokenSigner(credentials.privateKey, credentials.chainDer, { policy: '1.2.3.4', accuracyMs: 0 });
    fs.writeFileSync(path.join(dir, 'document.txt'), document);
    await opensslOk(['ts', '-query', '-data', 'document.txt', '-sha256', '-no_nonce', '-out', 'plain.tsq'], dir);
    const plainQuery = readTimeStampQuery(fs.readFileSync(path.join(dir, 'plain.tsq')), '1.2.3.4');
    if (isRejection(plainQuery) || plainQuery.nonce !== undefined) throw new Error('expected a query without a nonce');
    const tokens = [
      await tokenFor(true),
      await tokenFor(false),
      withoutAccuracy.sign({ messageImprintDer: plainQuery.messageImprintDer, serialNumber: 2n ** 70n, genTime, includeCertificates: true }),
    ];
    // Each read back into the library's own types and written again by it alone.
    for (const token of tokens) {
      const contentInfo = AsnConvert.parse(token, ContentInfo);
      const signedData = AsnConvert.parse(contentInfo.content, SignedData);
      const tstInfo = AsnConvert.parse(signedData.encapContentInfo.eContent!.single!, TSTInfo);
      // The values the round trip below would carry over whatever they are: the versions RFC 5652
      // and RFC 3161 require, and the signed attributes in DER's SET OF order (X.690 §11.6).
      expect([contentInfo.contentType, signedData.version, signedData.signerInfos[0]!.version, tstInfo.version]).toEqual(['1.2.840.113549.1.7.2', 3, 1, 1]);
      const attributes = signedData.signerInfos[0]!.signedAttrs!.map((attribute) => Buffer.from(AsnConvert.serialize(attribute)));
      expect(attributes.map((der) => der.toString('hex'))).toEqual([...attributes].sort(Buffer.compare).map((der) => der.toString('hex')));
      expect(signedData.signerInfos[0]!.signedAttrs!.map((attribute) => attribute.attrType).sort()).toEqual(['1.2.840.113549.1.9.16.2.47', '1.2.840.113549.1.9.3', '1.2.840.113549.1.9.4']);
      // The library reads an absent `seconds` of the accuracy as its class default, 0, and would write that 0.
      if (tstInfo.accuracy?.seconds === 0) tstInfo.accuracy = new Accuracy({ seconds: undefined, millis: tstInfo.accuracy.millis });
      expect(Buffer.from(AsnConvert.serialize(tstInfo)).equals(Buffer.from(signedData.encapContentInfo.eContent!.single!.buffer))).toBe(true);
      const rewritten = AsnConvert.serialize(new ContentInfo({ contentType: contentInfo.contentType, content: AsnConvert.serialize(signedData) }));
      expect(Buffer.from(rewritten).equals(Buffer.from(token))).toBe(true);
      const reply = grantedReply(token);
      const rewrittenReply = AsnConvert.serialize(AsnConvert.parse(reply, TimeStampResp));
      expect(Buffer.from(rewrittenReply).equals(Buffer.from(reply))).toBe(true);
    }
    const plain = AsnConvert.parse(AsnConvert.parse(AsnConvert.parse(tokens[2]!, ContentInfo).content, SignedData).encapContentInfo.eContent!.single!, TSTInfo);
    expect(plain.nonce).toBeUndefined();
    expect(plain.accuracy).toBeUndefined();
    expect(verifyTimeStampToken(tokens[2]!, { documentBytes: document, trustedCertificates })).toMatchObject({ valid: true, serialNumber: 2n ** 70n, algorithm: 'sha256' });
  });

  it('refuses bytes that are neither a reply nor a token', () => {
    expect(() => extractTimeStampToken(new TextEncoder().encode('hello'))).toThrow(/not DER|neither/);
    // DER, but neither: an empty SEQUENCE.
    expect(() => extractTimeStampToken(new Uint8Array([0x30, 0x00]))).toThrow(/neither a time-stamp reply/);
  });
});
