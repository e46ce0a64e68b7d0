// openapi.yaml, the single source of truth for the HTTP contract: its path, its text (served at
// /openapi.yaml) and its parsed form, for the rare request part that the request validator cannot
// see (multipart fields, which are streamed, not buffered).
import fs from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import { parse } from 'yaml';

export const OPENAPI_PATH = path.join(__dirname, '..', '..', 'openapi.yaml');

let text: string | undefined;
let parsed: Record<string, unknown> | undefined;

/** The document's text, read once. */
export function openApiText(): string {
  text ??= fs.readFileSync(OPENAPI_PATH, 'utf8');
  return text;
}

/** An operation as far as this service reads it: its security requirements and its request body. */
export interface OpenApiOperation {
  security?: unknown[];
  requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
}

/** The documented operations by path template and lower-case method, parsed once. */
export function openApiPaths(): Record<string, Record<string, OpenApiOperation>> {
  parsed ??= parse(openApiText()) as Record<string, unknown>;
  return parsed.paths as Record<string, Record<string, OpenApiOperation>>;
}

/** Whether an operation needs no credentials: it says `security: []`, or inherits the document's. */
export function isPublicOperation(operation: OpenApiOperation): boolean {
  parsed ??= parse(openApiText()) as Record<string, unknown>;
  const security = operation.security ?? (parsed.security as unknown[] | undefined) ?? [];
  return security.length === 0;
}

/** The schema of one request body media type, e.g. ('/v1/documents', 'post', 'multipart/form-data'). */
export function requestBodySchema(pathTemplate: string, method: string, mediaType: string): Record<string, unknown> {
  const operation = openApiPaths()[pathTemplate]?.[method];
  const schema = operation?.requestBody?.content?.[mediaType]?.schema as Record<string, unknown> | undefined;
  if (!schema) throw new Error(`openapi.yaml has no ${mediaType} body for ${method.toUpperCase()} ${pathTemplate}`);
  return schema;
}

/**
 * A validator for the plain (non-file) fields of a multipart body, from the documented schema with
 * its binary fields left out: the same limits as the JSON form of the request.
 */
export function multipartFieldValidator(pathTemplate: string, method: string): ValidateFunction {
  const schema = requestBodySchema(pathTemplate, method, 'multipart/form-data');
  const properties = Object.fromEntries(
    Object.entries((schema.properties ?? {}) as Record<string, { type?: string; items?: { format?: string } }>).filter(
      ([, property]) => !(property.type === 'array' && property.items?.format === 'binary') && (property as { format?: string }).format !== 'binary',
    ),
  );
  return new Ajv({ allErrors: true, strict: false }).compile({ type: 'object', properties, additionalProperties: false });
}
