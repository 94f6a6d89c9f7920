/**
 * Real `HttpRequest` and `InvocationContext` objects for calling handler factories directly, the
 * way the Functions host would, and a reader for what they answer (checked against the OpenAPI
 * document: test/support/openapi-conformance.ts).
 */
import { randomUUID } from 'node:crypto';
import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { HttpHandler } from '../../functions/http/problem';
import type { SyncLoopReader } from '../../functions/http/ops-sync-status';
import { documentedHandlerAnswer } from '../support/openapi-conformance';

/** What the metrics show of the sync loop when no durable client is asked: nothing running. */
export const noSyncLoop: SyncLoopReader = async () => ({ running: false, runtimeStatus: null, loop: null });

export interface RequestInit {
  headers?: Record<string, string>;
  /** Sent as JSON text with content-type application/json unless a content-type header is given. */
  body?: unknown;
  params?: Record<string, string>;
}

export function httpRequest(method: string, pathAndQuery: string, init: RequestInit = {}): HttpRequest {
  const headers: Record<string, string> = { ...(init.headers ?? {}) };
  let body: { string: string } | undefined;
  if (init.body !== undefined) {
    body = { string: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) };
    headers['content-type'] ??= 'application/json';
  }
  return new HttpRequest({ url: new URL(pathAndQuery, 'http://localhost:7071').toString(), method, headers, body, params: init.params ?? {} });
}

export function invocationContext(functionName = 'opsTest'): InvocationContext {
  return new InvocationContext({ functionName, invocationId: randomUUID(), logHandler: () => {} });
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions read it freely
  text: string;
}

/** Calls the handler and reads its answer as the host would send it. */
export async function call(handler: HttpHandler, request: HttpRequest): Promise<Answer> {
  return read(await handler(request, invocationContext()), request);
}

/** The handler's answer to `request`, once the OpenAPI document was found to describe it. */
export function read(response: HttpResponseInit, request: HttpRequest): Answer {
  const { headers, text } = documentedHandlerAnswer(request, response);
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status ?? 200, headers, body, text };
}
