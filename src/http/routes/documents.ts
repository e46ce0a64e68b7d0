// POST /v1/documents: JSON identifiers, or multipart files hashed while streaming and never stored.
import { createHash } from 'node:crypto';
import busboy from 'busboy';
import type { Express, Request, RequestHandler, Response } from 'express';
import { documentIdFromDigest, type DocumentId } from '../../core/ids/document-id';
import { DomainError } from '../../core/errors';
import type { Config } from '../../config/config';
import type { DocumentStatus } from '../../notarization/document-listing';
import type { Notary } from '../../notarization/notary';
import { callerKey } from '../guards';
import { multipartFieldValidator } from '../openapi-document';
import { HttpProblem } from '../problems';

const MAX_FIELD_BYTES = 1024;
/** label and externalRef, checked against the multipart schema of openapi.yaml (the JSON body's limits). */
const validateFields = multipartFieldValidator('/v1/documents', 'post');

function fieldErrors(errors: typeof validateFields.errors): string {
  return (errors ?? []).map((error) => `field "${error.instancePath.slice(1)}" ${error.message ?? 'is invalid'}`).join('; ') || 'invalid fields';
}

export function documentRoutes(app: Express, deps: { notary: Notary }, notarize: RequestHandler): void {
  app.post('/v1/documents', notarize, async (req, res) => {
    const body = req.body as { hash?: string; hashes?: string[]; label?: string; externalRef?: string };
    const identifiers = body.hashes ?? (body.hash === undefined ? [] : [body.hash]);
    const ids = deps.notary.parseIdentifiers(identifiers);
    const receipts = await deps.notary.submit(callerKey(res).tenantId, ids, { label: body.label, externalRef: body.externalRef });
    res.status(202).json({ receipts });
  });
  app.get('/v1/documents', notarize, async (req, res) => {
    const query = req.query as { after?: string; since?: string; until?: string; status?: DocumentStatus; limit?: string | number };
    const since = queryTime(query.since, 'since');
    const until = queryTime(query.until, 'until');
    if (since && until && since >= until) throw new HttpProblem('validation-failed', 'since must be earlier than until');
    const limit = query.limit === undefined ? DEFAULT_PAGE_SIZE : Number(query.limit);
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new HttpProblem('validation-failed', `query parameter limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
    }
    res.json(await deps.notary.listDocuments(callerKey(res).tenantId, { after: query.after, since, until, status: query.status, limit }));
  });
}

/** Page sizes of GET /v1/documents; openapi.yaml states the same. */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

/** An RFC 3339 query time (the validator checked its form) as a Date; a 400 for a date that does not exist. */
function queryTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw new HttpProblem('validation-failed', `query parameter ${name} must be an RFC 3339 date-time`);
  return time;
}

/** Handles multipart submissions itself and passes every other content type on. */
export function multipartDocumentRoute(deps: { notary: Notary; config: Pick<Config, 'maxFileBytes' | 'maxHashesPerRequest'> }): RequestHandler {
  return async (req, res, next) => {
    if (!req.is('multipart/form-data')) return next();
    try {
      const upload = await hashUploadedFiles(req, deps.config.maxFileBytes, deps.config.maxHashesPerRequest);
      if (upload.documents.length === 0) {
        throw new HttpProblem('validation-failed', 'the multipart body has no "file" field');
      }
      const seen = new Map<string, number>();
      upload.documents.forEach((doc, index) => {
        const previous = seen.get(doc.id.multihashHex);
        if (previous !== undefined) {
          throw new DomainError('DUPLICATE_DOCUMENTS', `file[${index}] (${doc.filename}) has the same content as file[${previous}]`, {
            index,
            duplicateOf: previous,
          });
        }
        seen.set(doc.id.multihashHex, index);
      });
      const receipts = await deps.notary.submit(
        callerKey(res).tenantId,
        upload.documents.map((d) => d.id),
        upload.metadata,
      );
      sendReceipts(res, receipts);
    } catch (error) {
      req.unpipe?.();
      req.resume();
      next(error);
    }
  };
}

function sendReceipts(res: Response, receipts: unknown[]): void {
  res.status(202).json({ receipts });
}

interface HashedUpload {
  documents: Array<{ id: DocumentId; filename: string; bytes: number }>;
  metadata: { label?: string; externalRef?: string };
}

/** Streams each `file` part through SHA-256; the bytes are never buffered or written anywhere. */
function hashUploadedFiles(req: Request, maxFileBytes: number, maxFiles: number): Promise<HashedUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { fileSize: maxFileBytes, files: maxFiles, fields: 10, fieldSize: MAX_FIELD_BYTES, parts: maxFiles + 10 },
      });
    } catch (error) {
      reject(new HttpProblem('validation-failed', `malformed multipart request: ${(error as Error).message}`));
      return;
    }
    const documents: HashedUpload['documents'] = [];
    const metadata: HashedUpload['metadata'] = {};
    const pending: Promise<void>[] = [];
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    parser.on('file', (field, stream, info) => {
      if (field !== 'file') {
        stream.resume();
        fail(new HttpProblem('validation-failed', `unexpected file field "${field}": send files as "file"`));
        return;
      }
      const index = documents.length;
      const filename = info.filename ?? `file[${index}]`;
      const hash = createHash('sha256');
      let bytes = 0;
      documents.push({ id: undefined as unknown as DocumentId, filename, bytes: 0 });
      pending.push(
        new Promise<void>((done) => {
          stream.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            hash.update(chunk);
          });
          stream.on('limit', () => {
            fail(
              new HttpProblem('payload-too-large', `file[${index}] (${filename}) exceeds the ${maxFileBytes}-byte limit`, {
                index,
                limit: maxFileBytes,
              }),
            );
          });
          stream.on('end', () => {
            documents[index] = { id: documentIdFromDigest(hash.digest()), filename, bytes };
            done();
          });
          // A part cut off before its closing boundary: busboy fails the part's stream (an 'error'
          // nobody heard would end the process), and the request is malformed.
          stream.on('error', (error: Error) => {
            fail(new HttpProblem('validation-failed', `malformed multipart body: file[${index}] (${filename}): ${error.message}`, { index }));
            done();
          });
        }),
      );
    });
    parser.on('field', (name, value, info) => {
      if (info.valueTruncated) fail(new HttpProblem('validation-failed', `field "${name}" is longer than ${MAX_FIELD_BYTES} bytes`));
      else if (name === 'label' || name === 'externalRef') metadata[name] = value;
      else fail(new HttpProblem('validation-failed', `unexpected field "${name}"; allowed: file, label, externalRef`));
    });
    parser.on('filesLimit', () => fail(new DomainError('TOO_MANY_DOCUMENTS', `at most ${maxFiles} files per request`, { limit: maxFiles })));
    parser.on('partsLimit', () => fail(new HttpProblem('validation-failed', 'too many parts in the multipart body')));
    parser.on('fieldsLimit', () => fail(new HttpProblem('validation-failed', 'too many fields in the multipart body')));
    parser.on('error', (error: Error) => fail(new HttpProblem('validation-failed', `malformed multipart body: ${error.message}`)));
    parser.on('close', () => {
      void Promise.all(pending).then(() => {
        if (failed) return;
        if (!validateFields(metadata)) {
          fail(new HttpProblem('validation-failed', fieldErrors(validateFields.errors), { errors: validateFields.errors?.map(({ instancePath, message }) => ({ path: instancePath, message })) }));
          return;
        }
        resolve({ documents, metadata });
      });
    });
    req.on('aborted', () => fail(new HttpProblem('validation-failed', 'the upload was aborted')));
    req.on('error', (error: Error) => fail(new HttpProblem('validation-failed', `the upload failed: ${error.message}`)));
    req.pipe(parser);
  });
}
