/**
 * Which emulators `npm start` runs, read from the app's own settings: Azurite when
 * `AzureWebJobsStorage` is development storage or names loopback endpoints, on their ports; the
 * Cosmos DB server when `CosmosDb__endpoint` is a loopback URL, on its port. Anything else (a
 * real storage account, a real Cosmos account) is used as it is, and nothing of it is local data.
 * So the same settings that point the app somewhere also point the emulators there, and a test
 * can run `npm start` on free ports by setting two variables.
 */
import type { StoragePorts } from '../emulators';

export const DEFAULT_STORAGE_PORTS: StoragePorts = { blob: 10000, queue: 10001, table: 10002 };

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/i;

function loopbackPort(url: string | undefined, defaultPort: number): number | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (!LOOPBACK_HOST.test(parsed.hostname)) return undefined;
    return parsed.port ? Number(parsed.port) : defaultPort;
  } catch {
    return undefined;
  }
}

/** Azurite's ports for this storage connection string, or undefined when it is not local Azurite. */
export function localStoragePorts(connection: string | undefined): StoragePorts | undefined {
  if (!connection) return undefined;
  if (connection.trim().toLowerCase() === 'usedevelopmentstorage=true') return DEFAULT_STORAGE_PORTS;
  const parts = new Map(
    connection
      .split(';')
      .map((part) => part.split(/=(.*)/s, 2))
      .filter((kv) => kv.length === 2)
      .map(([k, v]) => [k.trim().toLowerCase(), v.trim()] as const),
  );
  const blob = loopbackPort(parts.get('blobendpoint'), 80);
  const queue = loopbackPort(parts.get('queueendpoint'), 80);
  const table = loopbackPort(parts.get('tableendpoint'), 80);
  return blob && queue && table ? { blob, queue, table } : undefined;
}

/** The Cosmos DB server's port for this endpoint, or undefined when the endpoint is not on this machine. */
export function localCosmosPort(endpoint: string | undefined): number | undefined {
  return loopbackPort(endpoint, 443);
}
