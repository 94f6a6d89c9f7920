/**
 * The floors: bare scripts doing the least storage work a figure can cost, on the same emulators,
 * at the same concurrency, in the same run. Every app figure is reported as a ratio to its floor,
 * so machine speed and noise from other work on the box cancel out.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container } from '@azure/cosmos';
import type { QueueClient } from '@azure/storage-queue';
import type { AppConfig } from '../../shared/core/config/settings';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { CONTAINERS } from '../../shared/adapters/cosmos/layout';
import { createQueueServiceClient } from '../../shared/adapters/queue/client';
import { bareSignUp } from './backlog';
import { LoadResult, runLoad, summarize } from './load';
import type { Phase } from './progress';
import { transient, withRetry } from './retry';

/** One storage call of the floor, retried on a transient answer (bounded: 4 tries). */
function retried<T>(call: () => Promise<T>): Promise<T> {
  return withRetry(call, { attempts: 4, firstDelayMs: 250, retryIf: transient });
}

interface BareStores {
  channelCustomers: Container;
  hqCustomers: Container;
  hqOperations: Container;
  queue: QueueClient;
  dispose(): void;
}

/** Plain SDK clients on a provisioned app's stores: no services, no validation, no counting. */
function bareStores(config: AppConfig): BareStores {
  const client = createCosmosClient(config.cosmos);
  const db = (role: 'hq' | 'channel') => client.database(role === 'hq' ? config.cosmos.hqDatabase : config.cosmos.channelDatabase);
  return {
    channelCustomers: db('channel').container(CONTAINERS.channelCustomers.id),
    hqCustomers: db('hq').container(CONTAINERS.hqCustomers.id),
    hqOperations: db('hq').container(CONTAINERS.hqOperations.id),
    queue: createQueueServiceClient(config.asyncQueue.connection).getQueueClient(config.asyncQueue.name),
    dispose: () => client.dispose(),
  };
}

/**
 * Sign-up floor: one Cosmos create of the channel customer and one queue send of its operation
 * per sign-up — what an async sign-up cannot do without — at the scenario's concurrency. One set
 * of clients for all of a scenario's rounds, as the app's subjects keep theirs: new clients per
 * round made each round's floor pay for new connections and metadata reads the app did not.
 */
export function signUpFloor(config: AppConfig): {
  run(count: number, concurrency: number, phase: Phase, timeoutMs: number): Promise<LoadResult>;
  dispose(): void;
} {
  const stores = bareStores(config);
  let n = 0;
  return {
    run: (count, concurrency, phase, timeoutMs) =>
      runLoad(
        count,
        concurrency,
        async () => {
          const { doc, message } = bareSignUp('FABRIKAM', n++);
          await stores.channelCustomers.items.create(doc);
          await stores.queue.sendMessage(message);
        },
        { phase, timeoutMs },
      ),
    dispose: () => stores.dispose(),
  };
}

/**
 * The sign-up floor behind HTTP: a bare `node:http` server whose every POST does the same one
 * Cosmos create and one queue send, and nothing else (no validation, no Functions model). The
 * app over HTTP is compared with this, so both pay for an HTTP server in the same process.
 */
export async function startSignUpFloorServer(config: AppConfig): Promise<{ url: string; stop(): Promise<void> }> {
  const stores = bareStores(config);
  let n = 0;
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const { doc, message } = bareSignUp('FABRIKAM', 20_000_000 + n++);
      retried(() => stores.channelCustomers.items.create(doc))
        .then(() => retried(() => stores.queue.sendMessage(message)))
        .then(
          () => {
            response.writeHead(202, { 'content-type': 'application/json' });
            response.end(JSON.stringify({ customerId: doc.id }));
          },
          (error: Error) => {
            response.writeHead(500);
            response.end(error.message);
          },
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      stores.dispose();
    },
  };
}

/**
 * Drain floor, per customer: the queue receive (1/32 of a call) and delete, and the four Cosmos
 * writes this design cannot do without — stage the operation (the P-job's row), create the HQ
 * customer, mark the staged row completed (`onlineOperationCompleted = 1`), write the account
 * number back to the channel customer — with the delete right after staging. No planner query, no number-sequence block, no reads: a
 * bare pipeline per message, with the uploader's receive concurrency (4 loops of 32).
 *
 * Expects a backlog already queued (with its channel customers) by the same seeding as the app.
 */
export async function drainFloor(
  config: AppConfig,
  count: number,
  phase: Phase,
  timeoutMs: number,
): Promise<LoadResult & { cosmosRequests: number; queueRequests: number }> {
  const stores = bareStores(config);
  const latencies: number[] = [];
  let cosmosRequests = 0;
  let queueRequests = 0;
  let budget = count;
  let account = 0;
  const deadline = Date.now() + timeoutMs;
  const t0 = performance.now();
  const one = async (m: { messageId: string; popReceipt: string; messageText: string }) => {
    const start = performance.now();
    const op = JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')) as Record<string, unknown> & { operationId: string; customerId: string };
    const now = new Date().toISOString();
    await stores.hqOperations.items.create({ ...op, id: op.operationId, status: 'Uploaded', onlineOperationCompleted: 0, uploadedAt: now });
    // Delete as soon as the operation is staged, as the uploader does: Azurite's operations cost
    // more the more messages it stores, so holding messages through the other writes would slow
    // the floor itself (it did: 16 customers/s vs the app's 31 on a 10,000 backlog).
    await retried(() => stores.queue.deleteMessage(m.messageId, m.popReceipt)).catch((error) => {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    });
    queueRequests++;
    const accountNumber = `F${String(++account).padStart(9, '0')}`;
    await stores.hqCustomers.items.create({ ...(op.payload as object), id: op.customerId, accountNumber, appliedCounter: 1, createdAt: now });
    await stores.hqOperations.item(op.operationId, op.customerId).patch([
      { op: 'set', path: '/status', value: 'Completed' },
      { op: 'set', path: '/onlineOperationCompleted', value: 1 },
      { op: 'set', path: '/completedAt', value: now },
    ]);
    await stores.channelCustomers.item(op.customerId, op.customerId).patch([
      { op: 'set', path: '/accountNumber', value: accountNumber },
      { op: 'set', path: '/hqAppliedCounter', value: 1 },
      { op: 'set', path: `/operations/${op.operationId}/status`, value: 'Completed' },
    ]);
    cosmosRequests += 4;
    latencies.push(performance.now() - start);
    phase.tick();
  };
  const loop = async () => {
    while (budget > 0 && Date.now() < deadline) {
      const take = Math.min(32, budget);
      budget -= take;
      const { receivedMessageItems } = await retried(() => stores.queue.receiveMessages({ numberOfMessages: take, visibilityTimeout: 300 }));
      queueRequests++;
      budget += take - receivedMessageItems.length;
      if (receivedMessageItems.length === 0) return;
      await Promise.all(receivedMessageItems.map(one));
    }
  };
  try {
    await Promise.all(Array.from({ length: 4 }, loop));
  } finally {
    stores.dispose();
  }
  const result = summarize(latencies, performance.now() - t0);
  if (result.count < count) throw new Error(`drain floor processed ${result.count} of ${count} messages`);
  return { ...result, cosmosRequests, queueRequests };
}
