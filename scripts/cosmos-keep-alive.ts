/**
 * The Cosmos DB protocol server (`@vercel/cosmosdb-server`) with keep-alive connections, as Cosmos
 * DB's gateway keeps them. The package's CLI answers every request with `Connection: close`, so
 * every request a client sends opens a new TLS connection; measured here, that handshake was the
 * largest CPU cost of the app, of the benchmark's floors and of the server itself (a drain cost
 * 14.8 ms of CPU per customer across the bench process and both emulators with it, 5.7 without:
 * docs/performance.md). The package's `createHttpsServer` takes a `keepAlive` option (not reachable
 * from its CLI); with it the package sets `Connection: keep-alive` itself, which makes Node leave
 * out its `Keep-Alive: timeout=N` hint, so the hint is added here: Node's http.Agent (the Cosmos
 * SDK's) then retires an idle socket a second before the server would close it, rather than send
 * a request on a socket the server is closing.
 *
 * In memory, as the package's CLI (tests, the benchmark):
 *   node dist/scripts/cosmos-keep-alive.js --port 8081 --host 127.0.0.1
 * local-data/cosmos-server.ts (npm start) serves its persistent store through the same function.
 */
import type https from 'node:https';

/** The server, not yet listening. Loads the package only when called (local-data/cosmos-server.ts wraps its classes first). */
export function createKeepAliveCosmosServer(): https.Server {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHttpsServer } = require('@vercel/cosmosdb-server') as typeof import('@vercel/cosmosdb-server');
  const server = createHttpsServer({ keepAlive: true });
  server.prependListener('request', (_request, response: import('node:http').ServerResponse) => {
    response.setHeader('Keep-Alive', `timeout=${Math.floor(server.keepAliveTimeout / 1000)}`);
  });
  return server;
}

function main(): void {
  const args = process.argv.slice(2);
  const value = (flag: string) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = Number(value('--port') ?? 8081);
  const host = value('--host') ?? '127.0.0.1';
  const server = createKeepAliveCosmosServer().listen(port, host, () => console.log(`Ready to accept HTTPS connections at ${host}:${port} (keep-alive)`));
  server.on('error', (error) => {
    console.error(`cannot listen on ${host}:${port}: ${error.message}`);
    process.exit(1);
  });
}

if (require.main === module) main();
