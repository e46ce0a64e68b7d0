// Checks response bodies against the schemas of openapi.yaml, so tests hold the contract to reality.
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { expect } from 'vitest';

type Json = Record<string, any>;
export const OPENAPI: Json = parse(fs.readFileSync(path.join(__dirname, '..', '..', 'openapi.yaml'), 'utf8'));

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ ...OPENAPI, $id: 'openapi' } as object);

/** Asserts that `body` matches the documented response (or, with `schemaName`, a component schema). */
export function expectMatchesOpenApi(method: string, pathTemplate: string, status: number, body: unknown, schemaName?: string): void {
  const ref = schemaName
    ? `openapi#/components/schemas/${schemaName}`
    : `openapi#/paths/${pathTemplate.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${status}/content/application~1json/schema`;
  const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  const ok = validate(body);
  expect(ok ? [] : validate.errors, `${method.toUpperCase()} ${pathTemplate} ${status} against openapi.yaml`).toEqual([]);
}

/** Asserts that `value` matches the schema at a JSON pointer into openapi.yaml (e.g. an example's own schema). */
export function expectMatchesOpenApiSchema(pointer: string, value: unknown, what: string): void {
  const ref = `openapi${pointer}`;
  const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  const ok = validate(value);
  expect(ok ? [] : validate.errors, what).toEqual([]);
}
