/**
 * A counting pass-through in front of Azurite's blob, queue and table ports: the app's host is
 * given the proxy's connection string, so every storage request it makes (the async queue, the
 * durable task hub's tables, blobs) is counted, and the bench's own requests (which go straight
 * to Azurite) are not. Shared Key signatures cover the path, not the port, so they still verify.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AZURITE_ACCOUNT, AZURITE_KEY, RunningEmulators } from '../emulators';

export type StorageService = 'blob' | 'queue' | 'table';

export interface StorageCounts {
  total: number;
  byService: Record<StorageService, number>;
  /** e.g. `queue GET messages`, `table POST`, by method and the path's last segment kind. */
  byKind: Record<string, number>;
}

export interface StorageProxy {
  connectionString: string;
  counts(): StorageCounts;
  reset(): void;
  stop(): Promise<void>;
}

function kindOf(service: StorageService, method: string, url: string): string {
  const pathname = url.split('?')[0];
  const last = pathname.split('/').filter(Boolean).slice(1);
  const shape =
    service === 'queue'
      ? last.length >= 3
        ? 'message'
        : last[1] === 'messages'
          ? 'messages'
          : 'queue'
      : service === 'table'
        ? (last[0] ?? '').replace(/\(.*$/, '()')
        : 'blob';
  return `${service} ${method} ${shape}`;
}

export async function startStorageProxy(emulators: RunningEmulators): Promise<StorageProxy> {
  const ports = emulators.started?.azurite?.ports;
  if (!ports) throw new Error('the storage proxy needs the Azurite this run started');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let counts: StorageCounts;
  const reset = () => {
    counts = { total: 0, byService: { blob: 0, queue: 0, table: 0 }, byKind: {} };
  };
  reset();
  const servers: http.Server[] = [];
  const listening: Record<StorageService, number> = { blob: 0, queue: 0, table: 0 };
  for (const service of ['blob', 'queue', 'table'] as const) {
    const server = http.createServer((req, res) => {
      counts.total++;
      counts.byService[service]++;
      const kind = kindOf(service, req.method ?? 'GET', req.url ?? '/');
      counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
      const upstream = http.request({ host: '127.0.0.1', port: ports[service], method: req.method, path: req.url, headers: req.headers, agent }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      upstream.on('error', (error) => {
        if (!res.headersSent) res.writeHead(502);
        res.end(String(error));
      });
      req.pipe(upstream);
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    listening[service] = (server.address() as AddressInfo).port;
    servers.push(server);
  }
  const base = 'http://127.0.0.1';
  const connectionString = [
    'DefaultEndpointsProtocol=http',
    `AccountName=${AZURITE_ACCOUNT}`,
    `AccountKey=${AZURITE_KEY}`,
    `BlobEndpoint=${base}:${listening.blob}/${AZURITE_ACCOUNT}`,
    `QueueEndpoint=${base}:${listening.queue}/${AZURITE_ACCOUNT}`,
    `TableEndpoint=${base}:${listening.table}/${AZURITE_ACCOUNT}`,
  ].join(';');
  return {
    connectionString,
    counts: () => ({ total: counts.total, byService: { ...counts.byService }, byKind: { ...counts.byKind } }),
    reset,
    async stop() {
      for (const server of servers) server.closeAllConnections();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(() => resolve(undefined)))));
      agent.destroy();
    },
  };
}
