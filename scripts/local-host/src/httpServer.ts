/**
 * The HTTP front door: HTTP-triggered functions under the route prefix, the durable management
 * API, and `/admin/functions`. Requests and responses go through the library's RPC converters, so
 * handlers see the real HttpRequest and their HttpResponse (or init object) is honoured as in Azure.
 * Auth levels are enforced only when the host has function keys (see keys.ts); otherwise every
 * level is open, as with Core Tools.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registration, Registry } from './registry';
import { comparePrecedence as compareRoute, compileRoute, matchRoute, type CompiledRoute } from './routes';
import { errorMessage, Invoker, type LogSink } from './invoker';
import { presentedKey } from './keys';
import type { RpcHttpCookie, RpcHttpData, RpcParameterBinding, RpcTypedData } from './types';

export interface PlainResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export type SideHandler = (method: string, url: URL, body: Buffer, headers: http.IncomingHttpHeaders) => Promise<PlainResponse | undefined>;

/** A side handler behind a key check for every path under `prefix`: 401 when `allows` refuses the key. */
export function guarded(prefix: string, allows: (key: string | undefined) => boolean, handler: SideHandler): SideHandler {
  return async (method, url, body, headers) => {
    if (!url.pathname.startsWith(prefix)) return undefined;
    if (!allows(presentedKey(headers, url))) return { status: 401 };
    return handler(method, url, body, headers);
  };
}

interface HttpFunction {
  registration: Registration;
  route: CompiledRoute;
  methods: Set<string> | undefined;
}

export interface HttpServerOptions {
  registry: Registry;
  invoker: Invoker;
  routePrefix: string;
  port: number;
  host?: string;
  log: LogSink;
  /** Input data of the non-trigger bindings (e.g. the durable client) for an invocation. */
  extraInputs(registration: Registration): RpcParameterBinding[];
  /** Tried before the function routes, e.g. the durable management API. */
  sideHandlers: SideHandler[];
  /** Whether a request presenting `key` may call the function; absent: every auth level is open. */
  authorize?(registration: Registration, key: string | undefined): boolean;
}

export class HttpServer {
  private readonly functions: HttpFunction[];
  private readonly server: http.Server;

  constructor(private readonly options: HttpServerOptions) {
    this.functions = options.registry.byTriggerType('httpTrigger').map((registration) => {
      const template = typeof registration.trigger.route === 'string' ? registration.trigger.route : registration.name;
      const methods = Array.isArray(registration.trigger.methods) ? new Set(registration.trigger.methods.map((m) => String(m).toUpperCase())) : undefined;
      return { registration, route: compileRoute(template), methods };
    });
    this.functions.sort((a, b) => compareRoute(a.route, b.route));
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        options.log(`Error: unhandled error serving ${req.method} ${req.url}: ${errorMessage(error)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
    // Node's default keep-alive (5 s) stays: fetch (undici) drops a connection whose advertised
    // timeout is within 1 s of its own margin, so a 1 s timeout made every request a new
    // connection. close() ends idle sockets itself (closeAllConnections).
  }

  routes(): { name: string; route: string; methods: string[] | undefined }[] {
    return this.functions.map((f) => ({
      name: f.registration.name,
      route: [this.options.routePrefix, f.route.template].filter(Boolean).join('/'),
      methods: f.methods ? [...f.methods] : undefined,
    }));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host ?? '0.0.0.0', () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    for (const side of this.options.sideHandlers) {
      const response = await side(method, url, body, req.headers);
      if (response) return send(res, response);
    }
    const found = this.find(method, url.pathname);
    if (!found) return send(res, { status: 404 });
    if (this.options.authorize && !this.options.authorize(found.fn.registration, presentedKey(req.headers, url))) {
      return send(res, { status: 401 });
    }
    const rpcRequest: RpcHttpData = {
      method,
      url: url.href,
      headers: flattenHeaders(req.headers),
      params: found.params,
      body: body.length > 0 ? { bytes: body } : undefined,
    };
    const inputData: RpcParameterBinding[] = [
      { name: found.fn.registration.triggerName, data: { http: rpcRequest } },
      ...this.options.extraInputs(found.fn.registration),
    ];
    try {
      const { response } = await this.options.invoker.invoke(found.fn.registration, {
        inputData,
        reason: `This function was programmatically called via the host APIs.`,
      });
      send(res, toPlainResponse(httpOutput(found.fn.registration, response.returnValue, response.outputData)));
    } catch {
      send(res, { status: 500 });
    }
  }

  private find(method: string, pathname: string): { fn: HttpFunction; params: Record<string, string> } | undefined {
    const prefix = this.options.routePrefix ? `/${this.options.routePrefix.toLowerCase()}` : '';
    const lower = pathname.toLowerCase();
    if (prefix && lower !== prefix && !lower.startsWith(`${prefix}/`)) return undefined;
    const rest = pathname.slice(prefix.length).replace(/^\/+|\/+$/g, '');
    for (const fn of this.functions) {
      if (fn.methods && !fn.methods.has(method)) continue;
      const params = matchRoute(fn.route, rest);
      if (params) return { fn, params };
    }
    return undefined;
  }
}

/**
 * A listener serving side handlers only: the durable client's RPC endpoint when keys are enforced.
 * Like the Durable extension's local endpoint it takes no keys, and it listens on loopback only.
 */
export class SideServer {
  private readonly server: http.Server;

  constructor(handlers: SideHandler[], log: LogSink) {
    this.server = http.createServer((req, res) => {
      (async () => {
        const body = await readBody(req);
        const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
        for (const handler of handlers) {
          const response = await handler((req.method ?? 'GET').toUpperCase(), url, body, req.headers);
          if (response) return send(res, response);
        }
        send(res, { status: 404 });
      })().catch((error: unknown) => {
        log(`Error: unhandled error serving ${req.method} ${req.url}: ${errorMessage(error)}`);
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    });
  }

  async listen(host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, host, () => resolve());
    });
    return `http://${host}:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

function httpOutput(
  registration: Registration,
  returnValue: RpcTypedData | null | undefined,
  outputData: RpcParameterBinding[] | undefined,
): RpcHttpData | undefined {
  const ret = registration.metadata.bindings.$return;
  if (ret && ret.type.toLowerCase() === 'http') return returnValue?.http ?? undefined;
  const name = Object.entries(registration.metadata.bindings).find(([, b]) => b.direction === 'out' && b.type.toLowerCase() === 'http')?.[0];
  return outputData?.find((o) => o.name === name)?.data?.http;
}

function toPlainResponse(rpc: RpcHttpData | undefined): PlainResponse {
  // No response object at all: the host answers 204, as the Functions host does.
  if (!rpc) return { status: 204 };
  const headers: Record<string, string | string[]> = { ...(rpc.headers ?? {}) };
  const cookies = (rpc.cookies ?? []).map(formatCookie);
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const body = rpc.body?.bytes ? Buffer.from(rpc.body.bytes) : rpc.body?.string !== undefined ? rpc.body.string : undefined;
  return { status: Number(rpc.statusCode ?? 200) || 200, headers, body };
}

function formatCookie(cookie: RpcHttpCookie): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  if (cookie.expires?.value?.seconds !== undefined) parts.push(`Expires=${new Date(cookie.expires.value.seconds * 1000).toUTCString()}`);
  if (cookie.maxAge?.value !== undefined) parts.push(`Max-Age=${cookie.maxAge.value}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  if (cookie.sameSite === 'lax') parts.push('SameSite=Lax');
  else if (cookie.sameSite === 'strict') parts.push('SameSite=Strict');
  else if (cookie.sameSite === 'explicitNone') parts.push('SameSite=None');
  return parts.join('; ');
}

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    result[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return result;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export function send(res: http.ServerResponse, response: PlainResponse): void {
  const headers = { ...(response.headers ?? {}) };
  const body = response.body ?? '';
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  res.writeHead(response.status, headers);
  res.end(body);
}

export function jsonResponse(status: number, value: unknown, headers: Record<string, string> = {}): PlainResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}
