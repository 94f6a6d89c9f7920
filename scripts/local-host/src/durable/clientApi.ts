/**
 * The durable client: the binding data `df.input.durableClient()` reads, and the HTTP management
 * API it calls (durable-functions lib/src/durableClient/DurableClient.js). The API is served on
 * the host's own port under `/runtime/webhooks/durabletask/`, which is both the webhook base URL
 * and the `rpcBaseUrl` (the client builds `orchestrators/{name}[/{id}]` and `instances/{id}...`
 * relative to it).
 */
import type { PlainResponse, SideHandler } from '../httpServer';
import { jsonResponse } from '../httpServer';
import { errorMessage } from '../invoker';
import { ConflictError, NotFoundError, type DurableEngine } from './engine';
import type { HistoryEvent } from './history';
import type { InstanceRecord, RuntimeStatus } from './store';

export const BASE_PATH = '/runtime/webhooks/durabletask/';
const ID_PLACEHOLDER = 'INSTANCEID';

export interface DurableClientOptions {
  /** The host's public origin, for the URLs handed out (status, raise event, terminate...). */
  origin: string;
  /** Where the durable client's own calls go (`rpcBaseUrl`). Default: the public origin. */
  rpcOrigin?: string;
  hubName: string;
  /** The `durabletask_extension` system key when keys are enforced: the handed-out URLs carry it as `code=`. */
  code?: string;
}

function requiredQuery(hubName: string, code: string | undefined): string {
  return `taskHub=${hubName}&connection=Storage${code ? `&code=${encodeURIComponent(code)}` : ''}`;
}

export function durableClientData({ origin, rpcOrigin, hubName, code }: DurableClientOptions) {
  const base = `${origin}${BASE_PATH.replace(/\/$/, '')}`;
  const query = requiredQuery(hubName, code);
  return {
    taskHubName: hubName,
    creationUrls: {
      createNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?${query}`,
      createAndWaitOnNewInstancePostUri: `${base}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${query}`,
    },
    managementUrls: managementUrls(base, query),
    baseUrl: base,
    requiredQueryStringParameters: query,
    rpcBaseUrl: `${rpcOrigin ?? origin}${BASE_PATH}`,
  };
}

function managementUrls(base: string, query: string, id = ID_PLACEHOLDER) {
  const instance = `${base}/instances/${id}`;
  return {
    id,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

const STATUSES: RuntimeStatus[] = ['Pending', 'Running', 'Completed', 'ContinuedAsNew', 'Failed', 'Terminated'];

function parseStatuses(value: string | null): RuntimeStatus[] | undefined {
  if (!value) return undefined;
  return value
    .split(',')
    .map((s) => STATUSES.find((k) => k.toLowerCase() === s.trim().toLowerCase()))
    .filter((s): s is RuntimeStatus => s !== undefined);
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function statusBody(record: InstanceRecord, options: { history?: HistoryEvent[]; showInput: boolean }) {
  return {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.runtimeStatus,
    input: options.showInput ? parseJson(record.input) : null,
    customStatus: parseJson(record.customStatus),
    output: parseJson(record.output),
    createdTime: record.createdTime,
    lastUpdatedTime: record.lastUpdatedTime,
    ...(options.history ? { historyEvents: options.history, history: options.history } : {}),
  };
}

export interface DurableApiOptions {
  /** The `code=` the links it answers with carry (keys enforced). */
  code?: string;
  /** The origin of those links. Default: the request's (the public host's). */
  linkOrigin?: () => string;
}

export function durableApiHandler(engine: DurableEngine, hubName: string, options: DurableApiOptions = {}): SideHandler {
  return async (method, url, body) => {
    if (!url.pathname.startsWith(BASE_PATH)) return undefined;
    const parts = url.pathname.slice(BASE_PATH.length).split('/').filter(Boolean).map(decodeURIComponent);
    const base = `${options.linkOrigin?.() ?? url.origin}${BASE_PATH.replace(/\/$/, '')}`;
    const query = requiredQuery(hubName, options.code);
    const text = body.length > 0 ? body.toString('utf8') : '';
    try {
      if (parts[0] === 'orchestrators' && parts.length >= 2 && method === 'POST') {
        const record = await engine.startNew(parts[1], parts[2], text.trim() === '' ? null : text);
        const links = managementUrls(base, query, record.instanceId);
        return jsonResponse(202, { ...links }, { location: links.statusQueryGetUri });
      }
      if (parts[0] !== 'instances') return jsonResponse(404, { message: 'Not found' });
      const id = parts[1];
      if (!id) return await collection(engine, method, url);
      if (parts.length === 2 && method === 'GET') {
        const found = await engine.getStatus(id);
        if (!found) return { status: 404 };
        const showHistory = url.searchParams.get('showHistory') === 'true';
        const showInput = url.searchParams.get('showInput') !== 'false';
        const done = !['Running', 'Pending', 'ContinuedAsNew'].includes(found.record.runtimeStatus);
        const status = statusBody(found.record, { history: showHistory ? found.history : undefined, showInput });
        return jsonResponse(done ? 200 : 202, status, done ? {} : { location: `${base}/instances/${id}?${query}`, 'retry-after': '10' });
      }
      if (parts.length === 2 && method === 'DELETE') {
        const deleted = await engine.purge(id);
        return deleted ? jsonResponse(200, { instancesDeleted: deleted }) : { status: 404 };
      }
      if (parts[2] === 'terminate' && method === 'POST') {
        const result = await engine.terminate(id, url.searchParams.get('reason') ?? '');
        return { status: result === 'accepted' ? 202 : 410 };
      }
      if (parts[2] === 'raiseEvent' && parts[3] && method === 'POST') {
        const result = await engine.raiseEvent(id, parts[3], text.trim() === '' ? null : text);
        return { status: result === 'accepted' ? 202 : 410 };
      }
      return jsonResponse(501, { message: `${method} ${url.pathname} is not supported by the local host` });
    } catch (error) {
      if (error instanceof ConflictError) return jsonResponse(409, { message: error.message });
      if (error instanceof NotFoundError) return jsonResponse(parts[0] === 'orchestrators' ? 400 : 404, { message: error.message });
      return jsonResponse(500, { message: errorMessage(error) });
    }
  };
}

async function collection(engine: DurableEngine, method: string, url: URL): Promise<PlainResponse> {
  const from = url.searchParams.get('createdTimeFrom');
  const to = url.searchParams.get('createdTimeTo');
  const filter = {
    runtimeStatus: parseStatuses(url.searchParams.get('runtimeStatus')),
    createdTimeFrom: from ? new Date(from) : undefined,
    createdTimeTo: to ? new Date(to) : undefined,
  };
  const records = await engine.list(filter);
  if (method === 'GET') {
    const showInput = url.searchParams.get('showInput') !== 'false';
    return jsonResponse(
      200,
      records.map((r) => statusBody(r, { showInput })),
    );
  }
  if (method === 'DELETE') {
    let deleted = 0;
    for (const r of records) deleted += await engine.purge(r.instanceId);
    return deleted ? jsonResponse(200, { instancesDeleted: deleted }) : { status: 404 };
  }
  return { status: 405 };
}
