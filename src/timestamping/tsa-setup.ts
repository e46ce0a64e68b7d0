// Composition of the time-stamp authority: its key and certificate chain, the certificate's record
// in the shared database, the serial-number blocks and the authority itself, in one call.
import { createHash } from 'node:crypto';
import type { TsaConfig } from '../config/config';
import type { SqlClient } from '../platform/database/sql-client';
import type { Logger } from '../platform/observability/logger';
import { SerialNumbers } from './serial-numbers';
import { recordSigningCertificate, SqlSerialBlocks } from './sql/tsa-store';
import { TimeStampAuthority } from './time-stamp-authority';
import { TokenSigner } from './time-stamp-token';
import { loadTsaCredentials, type TsaCredentials } from './tsa-credentials';

export interface TsaSetup {
  authority: TimeStampAuthority;
  /** Leaf first (DER): what GET /tsa/certificate serves. */
  certificateChainDer: readonly Uint8Array[];
  credentials: TsaCredentials;
}

/**
 * Loads (or generates) the TSA's credentials and builds the authority. Replicas on one database must
 * sign with one certificate, or a client that trusts one replica's certificate rejects another's
 * tokens: a replica whose generated certificate differs from the one recorded refuses to start. A
 * configured certificate replaces the record (a rotation), with a warning.
 */
export async function setUpTimeStampAuthority(options: {
  db: SqlClient;
  dataDir: string;
  config: TsaConfig;
  /** Whether other replicas may share the database (DATABASE_URL is set). */
  sharedDatabase: boolean;
  anchorToken: (tokenSha256: Uint8Array, serialNumber: bigint) => Promise<void>;
  logger: Logger;
}): Promise<TsaSetup> {
  const { config, logger } = options;
  const credentials = loadTsaCredentials({ dataDir: options.dataDir, keyFile: config.keyFile, certificateFile: config.certificateFile });
  for (const warning of credentials.warnings) logger.warn({ certificateFile: credentials.certificateFile }, warning);
  const certificateSha256 = createHash('sha256').update(credentials.chainDer[0]!).digest();
  const replace = credentials.source === 'configured' || !options.sharedDatabase;
  const previous = await recordSigningCertificate(options.db, certificateSha256, replace);
  if (previous && !replace) {
    throw new Error(
      `another replica on this database signs time stamps with another TSA certificate (SHA-256 ${Buffer.from(previous).toString('hex')}, ` +
        `this one ${certificateSha256.toString('hex')} in ${credentials.certificateFile}): give every replica the same TSA_KEY_FILE and TSA_CERTIFICATE_FILE ` +
        `(for example the first replica's ${credentials.keyFile} and ${credentials.certificateFile})`,
    );
  }
  if (previous) logger.warn({ previous: Buffer.from(previous).toString('hex'), current: certificateSha256.toString('hex') }, 'the TSA certificate changed since the last start');
  logger.info(
    { source: credentials.source, certificateFile: credentials.certificateFile, certificateSha256: certificateSha256.toString('hex'), policy: config.policy },
    credentials.source === 'generated' ? 'generated a TSA key and self-signed certificate' : 'loaded the TSA key and certificate',
  );
  const signer = new TokenSigner(credentials.privateKey, credentials.chainDer, { policy: config.policy, accuracyMs: config.accuracyMs });
  const authority = new TimeStampAuthority({
    signer,
    serials: new SerialNumbers(new SqlSerialBlocks(options.db)),
    policy: config.policy,
    anchorToken: options.anchorToken,
  });
  return { authority, certificateChainDer: credentials.chainDer, credentials };
}
