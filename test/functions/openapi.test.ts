/**
 * GET /api/openapi.json: the document is valid OpenAPI 3.1 (swagger-parser), describes exactly the
 * HTTP routes the compiled app registers and the ones README lists, is served by the registered
 * function, and is built only when first asked for (app start-up does not load zod-openapi).
 * That every answer the tests receive matches it is checked where they receive them
 * (test/support/openapi-conformance.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { loadAppRegistrations, type AppRegistration } from '@async-customer/local-host';
import type { OpenAPIV3_1 } from 'openapi-types';
import { buildOpenApiDocument } from '../../functions/http/openapi-document';
import { documentedHandlerAnswer } from '../support/openapi-conformance';

const APP_ROOT = path.join(__dirname, '../..');
const sample = JSON.parse(readFileSync(path.join(APP_ROOT, 'local.settings.sample.json'), 'utf8')).Values;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const document = buildOpenApiDocument() as OpenAPIV3_1.Document;

/** `METHOD /api/route` for every operation in the document. */
function documentedRoutes(doc: OpenAPIV3_1.Document): Map<string, OpenAPIV3_1.OperationObject> {
  const routes = new Map<string, OpenAPIV3_1.OperationObject>();
  for (const [route, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method];
      if (operation) routes.set(`${method.toUpperCase()} ${route}`, operation);
    }
  }
  return routes;
}

/** A route as the host serves it: the route prefix, no trailing slash (the host's routing ignores it). */
const normalised = (route: string) => `/api/${route}`.replace(/\/+$/, '').replace(/\/{2,}/g, '/');

test('the document is valid OpenAPI 3.1', async () => {
  expect(document.openapi).toBe('3.1.0');
  // validate() dereferences in place: give it a copy.
  await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
});

test('it describes exactly the HTTP routes the compiled app registers, with their function names as operation ids', () => {
  const registrations = loadAppRegistrations(APP_ROOT, { env: sample }).filter((r: AppRegistration) => r.trigger.type === 'httpTrigger');
  const registered = new Map<string, string>();
  for (const registration of registrations) {
    const trigger = registration.trigger as unknown as { route: string; methods: string[] };
    for (const method of trigger.methods) registered.set(`${method.toUpperCase()} ${normalised(trigger.route)}`, registration.name);
  }
  const documented = documentedRoutes(document);
  expect([...documented.keys()].sort()).toEqual([...registered.keys()].sort());
  for (const [route, name] of registered) expect({ route, operationId: documented.get(route)?.operationId }).toEqual({ route, operationId: name });
});

test("README's API tables list the same routes and methods as the document", () => {
  const readme = readFileSync(path.join(APP_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## HTTP API'), readme.indexOf('\n## ', readme.indexOf('\n## HTTP API') + 1));
  const listed = [...section.matchAll(/^\| `(GET|POST|PUT|PATCH|DELETE) (\/api\/[^`?\s]*)/gm)].map(
    ([, method, route]) => `${method} ${normalised(route.slice(5))}`,
  );
  expect(listed.length).toBeGreaterThan(10);
  expect(new Set(listed).size).toBe(listed.length);
  expect([...listed].sort()).toEqual([...documentedRoutes(document).keys()].sort());
});

describe('what it says', () => {
  const schemas = document.components!.schemas!;
  const properties = (name: string) => Object.keys(schemas[name].properties ?? {});
  const operation = (route: string) => documentedRoutes(document).get(route)!;
  const responseHeaders = (route: string, status: string) => Object.keys((operation(route).responses![status] as OpenAPIV3_1.ResponseObject).headers ?? {});

  test('the function key, as a header or the `code` query parameter, on every route', () => {
    expect(document.components!.securitySchemes).toEqual({
      functionKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'x-functions-key' }),
      functionKeyQuery: expect.objectContaining({ type: 'apiKey', in: 'query', name: 'code' }),
    });
    expect(document.security).toEqual([{ functionKey: [] }, { functionKeyQuery: [] }]);
    for (const [route, op] of documentedRoutes(document)) expect({ route, has401: '401' in op.responses! }).toEqual({ route, has401: true });
  });

  test('every error answer is a problem document with field errors', () => {
    expect(properties('Problem')).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'errors']));
    for (const [route, op] of documentedRoutes(document)) {
      for (const [status, response] of Object.entries(op.responses!)) {
        if (Number(status) < 400 || status === '401') continue;
        const content = Object.keys((response as OpenAPIV3_1.ResponseObject).content ?? {});
        expect({ route, status, content }).toEqual({ route, status, content: ['application/problem+json'] });
      }
    }
  });

  test('Location, ETag, Retry-After, If-Match and Idempotency-Key where the handlers use them', () => {
    expect(responseHeaders('POST /api/channels/{channelId}/customers', '202')).toEqual(['Location']);
    expect(responseHeaders('POST /api/channels/{channelId}/customers', '503')).toEqual(['Retry-After']);
    expect(responseHeaders('POST /api/ops/sync/run', '202')).toEqual(['Location']);
    expect(responseHeaders('GET /api/ops/customer-sync-status/{operationId}', '200')).toEqual(['ETag']);
    const parameters = (route: string) => (operation(route).parameters as OpenAPIV3_1.ParameterObject[]).map((p) => `${p.in}:${p.name}`);
    expect(parameters('PATCH /api/ops/customer-sync-status/{operationId}')).toContain('header:If-Match');
    expect(parameters('PATCH /api/channels/{channelId}/customers/{customerId}')).toContain('header:Idempotency-Key');
  });

  test('the fields operators rely on today', () => {
    expect(properties('TimeToHq')).toEqual(['p50Ms', 'p95Ms', 'p99Ms', 'samples', 'window']);
    expect(properties('OpsMetrics')).toEqual(expect.arrayContaining(['timeToHq', 'sync', 'lastRun', 'counts']));
    expect(properties('SyncLoopStatus')).toEqual(expect.arrayContaining(['state', 'idleDelaySeconds', 'hqAvailable']));
    expect(properties('SyncRunStarted')).toEqual(expect.arrayContaining(['mode', 'started', 'statusQueryGetUri']));
    expect(properties('SyncRun')).toContain('hqUnavailable');
    const config = schemas.Config;
    expect(Object.keys((config.properties!.sync as OpenAPIV3_1.SchemaObject).properties!)).toEqual(expect.arrayContaining(['mode', 'idleDelaySeconds']));
  });
});

describe('the function that serves it', () => {
  const served = async (): Promise<HttpResponseInit> => {
    const registration = loadAppRegistrations(APP_ROOT, { env: sample }).find((r) => r.name === 'openApiDocument')!;
    expect(registration.trigger).toMatchObject({ route: 'openapi.json', methods: ['GET'], authLevel: 'function' });
    const handler = registration.callback as (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>;
    const request = new HttpRequest({ url: 'http://localhost:7071/api/openapi.json', method: 'GET' });
    const response = await handler(request, new InvocationContext({ logHandler: () => {} }));
    documentedHandlerAnswer(request, response);
    return response;
  };

  test('answers the document as JSON', async () => {
    const response = await served();
    expect(response.status).toBe(200);
    expect(new Headers(response.headers).get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(String(response.body))).toEqual(JSON.parse(JSON.stringify(document)));
  });

  test('app start-up does not load zod-openapi; the first request does', () => {
    // A process of its own: jest's module registry is not Node's.
    const script = `
      const { loadAppRegistrations } = require('@async-customer/local-host');
      const { HttpRequest, InvocationContext } = require('@azure/functions');
      const loaded = () => Object.keys(require.cache).some((file) => file.includes('/node_modules/zod-openapi/'));
      const app = loadAppRegistrations(${JSON.stringify(APP_ROOT)}, { env: ${JSON.stringify(sample)} });
      const atStart = loaded();
      const handler = app.find((r) => r.name === 'openApiDocument').callback;
      handler(new HttpRequest({ url: 'http://localhost/api/openapi.json', method: 'GET' }), new InvocationContext({})).then((response) => {
        console.log(JSON.stringify({ atStart, afterRequest: loaded(), status: response.status }));
      });`;
    const output = execFileSync(process.execPath, ['-e', script], { cwd: APP_ROOT, encoding: 'utf8' });
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ atStart: false, afterRequest: true, status: 200 });
  });
});
