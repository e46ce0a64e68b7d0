// A contract fuzz generated from openapi.yaml (fast-check, seeded): requests to every documented
// operation, built from its parameter and body schemas and then often broken (wrong types, values out
// of bounds, unknown fields or parameters, random JSON, the wrong media type, no key), sent to the
// real service over HTTP. For every answer: no 5xx; every 4xx is problem+json; a documented status
// matches its schema; and nothing the spec calls invalid gets a 2xx (the oracle is Ajv on the same
// schemas, not the service's validator). Bounded to about 30 s in `npm test`; `npm run fuzz --
// --requests 20000` runs longer.
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectMatchesOpenApi, OPENAPI } from '../helpers/openapi-contract';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';

type Schema = Record<string, any>;
interface Operation {
  method: string;
  template: string;
  parameters: Array<{ name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: Schema }>;
  body?: { required: boolean; schema: Schema };
  secured: boolean;
  responses: Record<string, Schema>;
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 100_000);
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS ?? 30_000);

const ajv = new Ajv2020({ strict: false, allErrors: false });
addFormats(ajv);
ajv.addSchema({ ...OPENAPI, $id: 'fuzz-openapi' } as object);

/** A schema with its $ref (into openapi.yaml) followed. */
function resolve(schema: Schema): Schema {
  let current = schema;
  while (current.$ref) {
    const pointer = (current.$ref as string).replace(/^#\//, '').split('/');
    current = pointer.reduce((node: Schema, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')], OPENAPI);
  }
  return current;
}

const validators = new WeakMap<Schema, ReturnType<typeof ajv.compile>>();
/** Ajv on a schema of openapi.yaml: the oracle of what the spec accepts. */
function validator(schema: Schema) {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(rewriteRefs(schema));
    validators.set(schema, validate);
  }
  return validate;
}

/** Refs in an inline schema point into the added document. */
function rewriteRefs(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(rewriteRefs);
  if (schema && typeof schema === 'object') {
    return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === '$ref' ? `fuzz-openapi${value as string}` : rewriteRefs(value)]));
  }
  return schema;
}

const operations: Operation[] = Object.entries(OPENAPI.paths as Record<string, Record<string, Schema>>).flatMap(([template, item]) =>
  Object.entries(item).map(([method, operation]) => {
    const json = operation.requestBody ? resolve(operation.requestBody).content?.['application/json'] : undefined;
    return {
      method: method.toUpperCase(),
      template,
      parameters: ((operation.parameters ?? []) as Schema[]).map((parameter) => resolve(parameter) as Operation['parameters'][number]),
      body: json ? { required: resolve(operation.requestBody).required === true, schema: json.schema as Schema } : undefined,
      secured: ((operation.security ?? OPENAPI.security ?? []) as unknown[]).length > 0,
      responses: operation.responses as Record<string, Schema>,
    };
  }),
);

/** Values that match `schema` (most of the time: formats are approximated, and the oracle decides). */
function valueOf(schema: Schema, depth = 0): fc.Arbitrary<unknown> {
  const s = resolve(schema);
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...(s.enum as unknown[]));
  if (s.oneOf || s.anyOf) return fc.oneof(...((s.oneOf ?? s.anyOf) as Schema[]).map((option) => valueOf(option, depth + 1)));
  if (s.allOf) return valueOf(Object.assign({}, ...(s.allOf as Schema[]).map(resolve)), depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string': {
      const min = s.minLength ?? 0;
      const max = Math.min(s.maxLength ?? 80, 300);
      if (s.pattern) return fc.stringMatching(new RegExp(s.pattern)).filter((text) => text.length >= min && text.length <= (s.maxLength ?? Infinity));
      if (s.format === 'date-time') return fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((date) => date.toISOString());
      if (s.format === 'uri') return fc.webUrl();
      return fc.string({ minLength: min, maxLength: Math.max(min, max), unit: 'grapheme' });
    }
    case 'integer':
      return fc.integer({ min: Math.max(s.minimum ?? -1000, -1e9), max: Math.min(s.maximum ?? 1e6, 1e15) });
    case 'number':
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(depth > 3 ? fc.constant(null) : valueOf(s.items ?? {}, depth + 1), { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 4, 6) });
    case 'object':
    default: {
      if (depth > 4) return fc.constant({});
      const properties = (s.properties ?? {}) as Record<string, Schema>;
      const required = new Set<string>((s.required ?? []) as string[]);
      const model = Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, valueOf(property, depth + 1)]));
      if (Object.keys(model).length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
      return fc.record(model, { requiredKeys: [...required].filter((name) => name in model) });
    }
  }
}

/** How a valid value is broken: a field of the wrong type, out of bounds, unknown, or missing. */
const breakage: fc.Arbitrary<(value: unknown) => unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((other) => () => other),
  fc.constantFrom<(value: unknown) => unknown>(
    (value) => (value && typeof value === 'object' && !Array.isArray(value) ? { ...value, unexpectedField: 1 } : value),
    (value) => (value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).slice(1)) : value),
    (value) => (typeof value === 'string' ? value.repeat(50) + 'x'.repeat(3000) : value),
    (value) => (value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeof v === 'string' ? 12 : asText(v)])) : value),
    () => 'x'.repeat(5000),
    () => -1,
    () => null,
  ),
);

interface FuzzRequest {
  operation: Operation;
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  bodyMode: 'json' | 'none' | 'text/plain' | 'malformed';
  auth: 'admin' | 'none' | 'bogus';
}

const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.constantFrom(...operations).chain((operation) => {
  const param = (where: 'path' | 'query') =>
    fc.record(
      Object.fromEntries(
        operation.parameters
          .filter((p) => p.in === where)
          .map((p) => [p.name, fc.oneof({ weight: 4, arbitrary: valueOf(p.schema) }, { weight: 1, arbitrary: fc.tuple(valueOf(p.schema), breakage).map(([value, broken]) => broken(value)) })]),
      ),
      { requiredKeys: operation.parameters.filter((p) => p.in === where && (p.required || where === 'path')).map((p) => p.name) },
    );
  const query = fc.tuple(param('query'), fc.option(fc.constantFrom('unknownParam', 'x'), { freq: 8 })).map(([values, extra]) => (extra ? { ...values, [extra]: '1' } : values));
  const body = operation.body
    ? fc.oneof({ weight: 3, arbitrary: valueOf(operation.body.schema) }, { weight: 2, arbitrary: fc.tuple(valueOf(operation.body.schema), breakage).map(([value, broken]) => broken(value)) })
    : fc.constant(undefined);
  return fc.record({
    operation: fc.constant(operation),
    path: param('path'),
    query,
    body,
    bodyMode: operation.body ? fc.constantFrom<FuzzRequest['bodyMode']>('json', 'json', 'json', 'json', 'none', 'text/plain', 'malformed') : fc.constant<FuzzRequest['bodyMode']>('none'),
    auth: operation.secured ? fc.constantFrom<FuzzRequest['auth']>('admin', 'admin', 'admin', 'none', 'bogus') : fc.constant<FuzzRequest['auth']>('none'),
  });
});

/** Whether the spec calls the request invalid: a parameter, query or body outside its schema, or a missing or mistyped body. */
function specInvalid(request: FuzzRequest): string | undefined {
  const { operation } = request;
  for (const parameter of operation.parameters.filter((p) => p.in !== 'header')) {
    const value = (parameter.in === 'path' ? request.path : request.query)[parameter.name];
    if (value === undefined) {
      if (parameter.required || parameter.in === 'path') return `missing ${parameter.name}`;
      continue;
    }
    // Parameters travel as text: what the service sees is the string form.
    const text = asText(value);
    const schema = resolve(parameter.schema);
    const candidate = schema.type === 'integer' || schema.type === 'number' ? (/^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(text) ? Number(text) : text) : text;
    if (!validator(parameter.schema)(candidate)) return `${parameter.name} outside its schema`;
  }
  // An undocumented query parameter is not invalid by OpenAPI's rules (the service refuses most: its choice).
  if (operation.body) {
    if (request.bodyMode !== 'json') return operation.body.required || request.bodyMode !== 'none' ? `body sent as ${request.bodyMode}` : undefined;
    if (request.body === undefined) return operation.body.required ? 'no body' : undefined;
    if (!validator(operation.body.schema)(request.body)) return 'body outside its schema';
  }
  return undefined;
}

/** A generated value as it travels in a URL (objects, even without a prototype, as JSON). */
function asText(value: unknown): string {
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function urlOf(base: string, request: FuzzRequest): string {
  const path = request.operation.template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(asText(request.path[name] ?? '')));
  const query = new URLSearchParams(Object.entries(request.query).map(([name, value]) => [name, asText(value)])).toString();
  return `${base}${path}${query ? `?${query}` : ''}`;
}

describe('contract fuzz against openapi.yaml', () => {
  let service: ServiceProcess;
  beforeAll(async () => {
    service = await startServiceProcess({ env: { VALIDATE_RESPONSES: 'true', RATE_LIMIT: '0', BATCH_INTERVAL: '1s' } });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it(`answers generated requests within the contract (seed ${SEED})`, async () => {
    const seen = { requests: 0, invalid: 0, valid: 0, success: 0, statuses: new Map<number, number>() };
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (request) => {
        // An empty, '.' or '..' path segment is another URL (a trailing slash, a parent path), not
        // this operation with an odd parameter: such a case is skipped.
        fc.pre([...request.operation.template.matchAll(/\{(\w+)\}/g)].every(([, name]) => !['', '.', '..'].includes(asText(request.path[name!] ?? ''))));
        const invalid = specInvalid(request);
        const headers: Record<string, string> = {};
        if (request.auth === 'admin') headers.authorization = `Bearer ${service.adminKey}`;
        if (request.auth === 'bogus') headers.authorization = 'Bearer dnk_not_a_key';
        let body: string | undefined;
        if (request.bodyMode === 'json' && request.body !== undefined) {
          headers['content-type'] = 'application/json';
          body = JSON.stringify(request.body);
        } else if (request.bodyMode === 'text/plain') {
          headers['content-type'] = 'text/plain';
          body = JSON.stringify(request.body ?? {});
        } else if (request.bodyMode === 'malformed') {
          headers['content-type'] = 'application/json';
          body = `${JSON.stringify(request.body ?? {})}{`;
        }
        const url = urlOf(service.url, request);
        const response = await fetch(url, { method: request.operation.method, headers, body });
        const text = await response.text();
        const where = `${request.operation.method} ${url} (${invalid ?? 'valid'}) → ${response.status} ${text.slice(0, 300)}`;
        seen.requests += 1;
        seen.statuses.set(response.status, (seen.statuses.get(response.status) ?? 0) + 1);
        if (invalid) seen.invalid += 1;
        else seen.valid += 1;
        if (response.status < 300) seen.success += 1;

        expect(response.status, where).toBeLessThan(500);
        const type = response.headers.get('content-type') ?? '';
        // Wallet-facing endpoints (token, credential, direct_post) answer refusals as OAuth error
        // responses, as the protocols demand, where openapi.yaml documents that status so.
        const oauthError = response.status >= 400 && request.operation.responses[String(response.status)]?.$ref === '#/components/responses/OAuthError' && type.startsWith('application/json');
        if (oauthError) expectMatchesOpenApi('', '', 0, JSON.parse(text), 'OAuthError');
        else if (response.status >= 400) {
          expect(type, where).toBe('application/problem+json; charset=utf-8');
          const problem = JSON.parse(text) as { type: string; status: number };
          expect(problem.status, where).toBe(response.status);
          expectMatchesOpenApi('', '', 0, problem, 'Problem');
        }
        const documented = request.operation.responses[String(response.status)];
        if (documented && response.status < 400 && type.startsWith('application/json') && resolve(documented).content?.['application/json']) {
          try {
            expectMatchesOpenApi(request.operation.method.toLowerCase(), request.operation.template, response.status, JSON.parse(text));
          } catch (error) {
            throw new Error(`${where}: ${(error as Error).message.slice(0, 2000)}`);
          }
        }
        // Whatever the spec refuses, the service refuses: no 2xx for an invalid request. (A refused
        // key may answer 401 before the body is looked at: also a refusal.)
        if (invalid) expect(response.status, where).toBeGreaterThanOrEqual(400);
      }),
      { seed: SEED, numRuns: REQUESTS, ...(TIME_LIMIT_MS > 0 ? { interruptAfterTimeLimit: TIME_LIMIT_MS, markInterruptAsFailure: false } : {}), endOnFailure: true },
    );
    console.log(
      `contract fuzz: ${seen.requests} requests (${seen.invalid} invalid by the spec, ${seen.valid} valid, ${seen.success} answered 2xx); statuses ${[...seen.statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status}×${n}`).join(' ')}`,
    );
    // The run must have exercised both sides of the oracle, or it proved nothing.
    expect(seen.requests).toBeGreaterThanOrEqual(Math.min(REQUESTS, 100));
    expect(seen.invalid).toBeGreaterThan(seen.requests * 0.05);
    expect(seen.success).toBeGreaterThan(seen.requests * 0.05);
  }, Math.max(TIME_LIMIT_MS, 0) + 120_000);
});
