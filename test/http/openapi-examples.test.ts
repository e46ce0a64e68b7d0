// Every example in openapi.yaml must match its own schema, and every operation must carry one:
// the reference at /docs shows them to users, so a wrong example is a wrong doc.
import { describe, expect, it } from 'vitest';
import { expectMatchesOpenApiSchema, OPENAPI } from '../helpers/openapi-contract';

type Json = Record<string, any>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

interface ExampleCase {
  where: string;
  schemaPointer: string;
  value: unknown;
}

function examplesOf(mediaPointer: string, media: Json, where: string): ExampleCase[] {
  const cases: ExampleCase[] = [];
  if (media.example !== undefined) cases.push({ where, schemaPointer: `${mediaPointer}/schema`, value: media.example });
  for (const [name, example] of Object.entries((media.examples ?? {}) as Record<string, Json>)) {
    cases.push({ where: `${where} (${name})`, schemaPointer: `${mediaPointer}/schema`, value: example.value });
  }
  return cases;
}

const escape = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');
const operations: Array<{ id: string; method: string; path: string; operation: Json }> = [];
const cases: ExampleCase[] = [];
for (const [path, item] of Object.entries(OPENAPI.paths as Record<string, Json>)) {
  for (const method of METHODS) {
    const operation = item[method] as Json | undefined;
    if (!operation) continue;
    operations.push({ id: `${method.toUpperCase()} ${path}`, method, path, operation });
    const base = `#/paths/${escape(path)}/${method}`;
    for (const [type, media] of Object.entries((operation.requestBody?.content ?? {}) as Record<string, Json>)) {
      cases.push(...examplesOf(`${base}/requestBody/content/${escape(type)}`, media, `${method.toUpperCase()} ${path} request ${type}`));
    }
    for (const [status, response] of Object.entries((operation.responses ?? {}) as Record<string, Json>)) {
      if (response.$ref) continue;
      for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
        cases.push(...examplesOf(`${base}/responses/${status}/content/${escape(type)}`, media, `${method.toUpperCase()} ${path} ${status} ${type}`));
      }
    }
  }
}
// The events sent to webhook endpoints (OpenAPI 3.1 `webhooks`): their payload examples too.
for (const [name, item] of Object.entries((OPENAPI.webhooks ?? {}) as Record<string, Json>)) {
  for (const [type, media] of Object.entries((item.post?.requestBody?.content ?? {}) as Record<string, Json>)) {
    cases.push(...examplesOf(`#/webhooks/${escape(name)}/post/requestBody/content/${escape(type)}`, media, `webhook ${name} ${type}`));
  }
}
for (const [name, response] of Object.entries((OPENAPI.components?.responses ?? {}) as Record<string, Json>)) {
  for (const [type, media] of Object.entries((response.content ?? {}) as Record<string, Json>)) {
    cases.push(...examplesOf(`#/components/responses/${name}/content/${escape(type)}`, media, `response ${name} ${type}`));
  }
}

describe('openapi.yaml examples', () => {
  it('has examples to check', () => {
    expect(cases.length).toBeGreaterThan(20);
  });

  it.each(cases.map((c) => [c.where, c] as const))('%s matches its schema', (_where, example) => {
    expectMatchesOpenApiSchema(example.schemaPointer, example.value, example.where);
  });

  it.each(operations.map((o) => [o.id, o] as const))('%s documents an example for its body and its success response', (_id, { operation }) => {
    const hasExample = (media: Json) => media.example !== undefined || Object.keys(media.examples ?? {}).length > 0;
    for (const media of Object.values((operation.requestBody?.content ?? {}) as Record<string, Json>)) {
      if (!('schema' in media) || media.schema?.format === 'binary') continue;
      if (media.schema?.properties?.file) continue; // multipart uploads: a file has no JSON example
      expect(hasExample(media), 'request example').toBe(true);
    }
    const success = Object.entries((operation.responses ?? {}) as Record<string, Json>).find(([status]) => status.startsWith('2'));
    expect(success, 'a 2xx response').toBeDefined();
    const jsonBodies = Object.entries((success![1].content ?? {}) as Record<string, Json>).filter(([type]) => type.includes('json'));
    for (const [type, media] of jsonBodies) expect(hasExample(media), `${type} example`).toBe(true);
  });
});
