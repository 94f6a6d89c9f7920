/**
 * Every answer a test receives, held against the app's OpenAPI document (the one GET
 * /api/openapi.json serves): the route and method must be documented, the status listed for it,
 * the media type one of its documented ones, the body valid against its schema (Ajv, JSON Schema
 * 2020-12 as OpenAPI 3.1 uses it, with formats), required headers present and documented headers
 * well-formed; and a Location, ETag, Retry-After or Link header the document does not list for
 * that answer is drift too. The test harness's HTTP helpers call this wherever a response is
 * received (handlers called with real HttpRequest objects, and fetch over HTTP), so an answer the
 * document does not describe fails the test that received it.
 */
import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { OpenAPIV3_1 } from 'openapi-types';
import { buildOpenApiDocument } from '../../functions/http/openapi-document';

const DOCUMENT_ID = 'https://async-customer.invalid/openapi.json';
/** Headers whose presence the document must explain on every answer that carries them. */
const MEANINGFUL_HEADERS = ['location', 'etag', 'retry-after', 'link'];

interface Route {
  template: string;
  pattern: RegExp;
  /** The route's parameter names, sorted. */
  params: string;
  item: OpenAPIV3_1.PathItemObject;
}

interface Conformance {
  document: OpenAPIV3_1.Document;
  routes: Route[];
  ajv: Ajv2020;
  validators: Map<string, ValidateFunction>;
}

let loaded: Conformance | undefined;

function conformance(): Conformance {
  if (loaded) return loaded;
  const document = buildOpenApiDocument() as OpenAPIV3_1.Document;
  // strict: false, as OpenAPI's own members (paths, responses...) sit around the schemas.
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ ...document, $id: DOCUMENT_ID });
  const routes = Object.entries(document.paths ?? {}).map(([template, item]) => ({
    template,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]*')}$`),
    params: [...template.matchAll(/\{([^}]+)\}/g)]
      .map((m) => m[1])
      .sort()
      .join(),
    item: item!,
  }));
  loaded = { document, routes, ajv, validators: new Map() };
  return loaded;
}

/** The JSON Pointer of a member of the document, for Ajv's `$ref` into it. */
function pointer(...segments: string[]): string {
  return '#' + segments.map((s) => '/' + s.replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

function validator(ref: string): ValidateFunction {
  const { ajv, validators } = conformance();
  let validate = validators.get(ref);
  if (!validate) {
    validate = ajv.compile({ $ref: DOCUMENT_ID + ref });
    validators.set(ref, validate);
  }
  return validate;
}

export interface ReceivedAnswer {
  method: string;
  /** Absolute, or a path: only the path counts. */
  url: string;
  status: number;
  /** Names lower-cased. */
  headers: Record<string, string>;
  /** The body as sent (empty when none). */
  text: string;
  /** The route parameters a handler was called with, when known. */
  params?: Record<string, string>;
}

/** A failed check, with what was received, so the failing test says what drifted. */
export class UndocumentedAnswer extends Error {
  constructor(answer: ReceivedAnswer, problems: string[]) {
    const body = answer.text.length > 2000 ? `${answer.text.slice(0, 2000)}...` : answer.text;
    super(`${answer.method} ${answer.url} answered ${answer.status} not as /api/openapi.json says:\n  - ${problems.join('\n  - ')}\nbody: ${body}`);
    this.name = 'UndocumentedAnswer';
  }
}

/** Throws UndocumentedAnswer unless the document describes this answer; answers outside /api/ are not the app's. */
export function expectDocumented(answer: ReceivedAnswer): void {
  const raw = new URL(answer.url, 'http://localhost').pathname;
  if (!raw.startsWith('/api/')) return;
  const method = answer.method.toLowerCase() as OpenAPIV3_1.HttpMethods;
  // A handler may be called with an empty route parameter (`/customer-sync-status/`); else the
  // host's routing ignores a trailing slash (`/api/ops/` is `/api/ops`).
  const { routes } = conformance();
  // A handler's answer is matched among the routes with its parameters: a parameter the URL
  // cannot carry as such (``, `.`, `..`) must not make it another route's answer.
  const names = answer.params ? Object.keys(answer.params).sort().join() : undefined;
  const candidates = routes.filter((r) => r.item[method] && (names === undefined || r.params === names));
  const route =
    // Else the host's routing ignores a trailing slash (`/api/ops/` is `/api/ops`).
    [raw, raw.replace(/(.)\/+$/, '$1')].map((path) => candidates.find((r) => r.pattern.test(path))).find(Boolean) ??
    (names && candidates.length === 1 ? candidates[0] : undefined);
  const operation = route?.item[method];
  if (!route || !operation) throw new UndocumentedAnswer(answer, [`${answer.method.toUpperCase()} ${raw} is not in the document`]);
  const status = String(answer.status);
  const response = operation.responses?.[status] as OpenAPIV3_1.ResponseObject | undefined;
  if (!response) {
    throw new UndocumentedAnswer(answer, [`status ${status} is not documented (documented: ${Object.keys(operation.responses ?? {}).join(', ')})`]);
  }
  const at = (...segments: string[]) => pointer('paths', route.template, method, 'responses', status, ...segments);
  const problems: string[] = [];

  const documentedHeaders = new Map<string, { name: string; required: boolean }>();
  for (const [name, header] of Object.entries(response.headers ?? {})) {
    documentedHeaders.set(name.toLowerCase(), { name, required: 'required' in header && header.required === true });
  }
  for (const [lower, { name, required }] of documentedHeaders) {
    const value = answer.headers[lower];
    if (value === undefined) {
      if (required) problems.push(`header ${name} is required and missing`);
      continue;
    }
    const validate = validator(at('headers', name, 'schema'));
    if (!validate(value)) problems.push(`header ${name}: ${JSON.stringify(value)} ${describe(validate)}`);
  }
  for (const name of MEANINGFUL_HEADERS) {
    if (answer.headers[name] !== undefined && !documentedHeaders.has(name)) problems.push(`header ${name} is sent but not documented for ${status}`);
  }

  const content = response.content ?? {};
  const mediaType = (answer.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (Object.keys(content).length === 0) {
    if (answer.text !== '') problems.push(`a body is sent, but ${status} documents none`);
  } else if (!(mediaType in content)) {
    problems.push(`content type ${JSON.stringify(mediaType)} is not documented for ${status} (documented: ${Object.keys(content).join(', ')})`);
  } else {
    let body: unknown = answer.text;
    if (/[/+]json$/.test(mediaType)) {
      try {
        body = JSON.parse(answer.text);
      } catch {
        problems.push('the body is not JSON');
      }
    }
    const validate = validator(at('content', mediaType, 'schema'));
    if (problems.length === 0 && !validate(body)) problems.push(`body ${describe(validate)}`);
  }
  if (problems.length > 0) throw new UndocumentedAnswer(answer, problems);
}

function describe(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`).join('; ');
}

/**
 * A handler's answer as the Functions host would send it (a `jsonBody` goes out as
 * `application/json`), checked against the document for the request that got it.
 */
export function documentedHandlerAnswer(request: HttpRequest, response: HttpResponseInit): ReceivedAnswer {
  const headers: Record<string, string> = {};
  new Headers(response.headers).forEach((value, name) => (headers[name.toLowerCase()] = value));
  let text = '';
  if (response.jsonBody !== undefined) {
    text = JSON.stringify(response.jsonBody);
    headers['content-type'] ??= 'application/json';
  } else if (typeof response.body === 'string') {
    text = response.body;
  } else if (response.body !== undefined && response.body !== null) {
    throw new Error(`${request.method} ${request.url}: a handler answered a body that is neither JSON nor text`);
  }
  const answer = { method: request.method, url: request.url, status: response.status ?? 200, headers, text, params: request.params };
  expectDocumented(answer);
  return answer;
}

/**
 * `fetch` for tests over HTTP: the response, after its answer was checked against the document
 * (for URLs under /api/; the host's own routes, /admin and /runtime, are not the app's).
 */
export async function apiFetch(input: string | URL, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  const url = new URL(String(input));
  if (url.pathname.startsWith('/api/')) {
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => (headers[name.toLowerCase()] = value));
    expectDocumented({ method: init?.method ?? 'GET', url: url.pathname, status: response.status, headers, text: await response.clone().text() });
  }
  return response;
}
