/**
 * Shared pieces of the invariant tests: an app wired to faulty clients, the storefront handlers
 * called with real `HttpRequest` objects, everything the app logs, and counts of what is stored.
 */
import { randomUUID } from 'node:crypto';
import { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import type { RunningEmulators } from '../../scripts/emulators';
import type { ServiceOverrides, Services } from '../../functions/composition-root';
import { containers, createCosmosClient } from '../../shared/adapters/cosmos/client';
import { createQueueServiceClient } from '../../shared/adapters/queue/client';
import { addAddressHandler, editCustomerHandler, getCustomerHandler, searchCustomersHandler, signUpHandler } from '../../functions/http/storefront';
import { runSyncPass } from '../../shared/core/use-cases/sync-pass';
import { createTestApp, Env, TestApp } from './environment';
import { faultyCosmosClient, faultyQueueServiceClient, FaultPlan } from './faults';
import { documentedHandlerAnswer } from './openapi-conformance';

/** Every line the app logs, from any of its three outlets, so tests can scan it for personal data. */
export class LogCapture {
  readonly lines: string[] = [];
  readonly serviceLog = (message: string) => void this.lines.push(message);

  context(): InvocationContext {
    const lines = this.lines;
    return new InvocationContext({
      logHandler: (_level, ...args) => void lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')),
    });
  }

  /** Spies on console.log/warn/error/info for the rest of the test file. */
  spyOnConsole(): void {
    for (const method of ['log', 'warn', 'error', 'info', 'debug'] as const) {
      jest.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        this.lines.push(args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? `${a.name}: ${a.message}` : JSON.stringify(a))).join(' '));
      });
    }
  }

  /** The lines containing any of the given values (case-insensitive). */
  leaks(values: Iterable<string>): { value: string; line: string }[] {
    const found: { value: string; line: string }[] = [];
    const lower = this.lines.map((l) => l.toLowerCase());
    for (const value of values) {
      const v = value.toLowerCase();
      if (v.length < 4) continue;
      lower.forEach((line, i) => line.includes(v) && found.push({ value, line: this.lines[i] }));
    }
    return found;
  }
}

export interface FaultyApp extends TestApp {
  plan: FaultPlan;
}

export async function createFaultyApp(
  emulators: RunningEmulators,
  env: Env,
  logs: LogCapture,
  { reconcileGraceMs = 0, hq }: Pick<ServiceOverrides, 'reconcileGraceMs' | 'hq'> = {},
): Promise<FaultyApp> {
  const plan = new FaultPlan();
  const app = await createTestApp(emulators, env, {
    cosmosClient: faultyCosmosClient(emulators.cosmosEndpoint, emulators.cosmosKey, plan),
    queueServiceClient: faultyQueueServiceClient(emulators.storageConnectionString, plan),
    log: logs.serviceLog,
    // Reconciliation looks at every outstanding customer at once: tests cannot wait 5 minutes.
    reconcileGraceMs,
    hq,
  });
  return { ...app, plan };
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  contentType: string | undefined;
}

/** The storefront routes, through their real handlers. */
export class Storefront {
  constructor(
    private readonly services: () => Services,
    private readonly logs: LogCapture,
  ) {}

  signUp(channelId: string, body: unknown, raw?: string): Promise<Answer> {
    return this.call(
      signUpHandler(() => this.services().customers),
      'POST',
      `channels/${channelId}/customers`,
      { channelId },
      body,
      raw,
    );
  }

  get(channelId: string, customerId: string): Promise<Answer> {
    return this.call(
      getCustomerHandler(() => this.services().customers),
      'GET',
      `channels/${channelId}/customers/${customerId}`,
      { channelId, customerId },
    );
  }

  /** Customer search; `query` is the raw query string (without `?`), as the host receives it. */
  search(channelId: string, query: string): Promise<Answer> {
    return this.call(
      searchCustomersHandler(() => this.services().customerSearch),
      'GET',
      `channels/${channelId}/customers`,
      { channelId },
      undefined,
      undefined,
      undefined,
      query,
    );
  }

  edit(channelId: string, customerId: string, body: unknown, key?: string, raw?: string): Promise<Answer> {
    const path = `channels/${channelId}/customers/${customerId}`;
    return this.call(
      editCustomerHandler(() => this.services().customers),
      'PATCH',
      path,
      { channelId, customerId },
      body,
      raw,
      key,
    );
  }

  addAddress(channelId: string, customerId: string, body: unknown, key?: string, raw?: string): Promise<Answer> {
    const path = `channels/${channelId}/customers/${customerId}/addresses`;
    return this.call(
      addAddressHandler(() => this.services().customers),
      'POST',
      path,
      { channelId, customerId },
      body,
      raw,
      key,
    );
  }

  private async call(
    handler: (r: HttpRequest, c: InvocationContext) => Promise<HttpResponseInit>,
    method: string,
    path: string,
    params: Record<string, string>,
    body?: unknown,
    raw?: string,
    key?: string,
    query?: string,
  ): Promise<Answer> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (key) headers['idempotency-key'] = key;
    const text = raw ?? (body === undefined ? undefined : JSON.stringify(body));
    const request = new HttpRequest({
      // A lone surrogate cannot travel in a URL (the host would have replaced it); the route param keeps it.
      url: `http://localhost:7071/api/${path
        .split('/')
        .map((p) => encodeURIComponent(p.toWellFormed()))
        .join('/')}${query ? `?${query}` : ''}`,
      method,
      headers,
      params,
      ...(text !== undefined && method !== 'GET' ? { body: { string: text } } : {}),
    });
    const { status, headers: headersOut, text: textOut } = documentedHandlerAnswer(request, await handler(request, this.logs.context()));
    const parsed = textOut ? (JSON.parse(textOut) as Record<string, unknown>) : {};
    return { status, body: parsed, contentType: headersOut['content-type'] };
  }
}

/**
 * One sync pass (the core's, as the orchestration runs it) with a short visibility timeout: a
 * message whose upload failed is delivered again after 1 s instead of 5 minutes, so tests can
 * wait for redelivery.
 */
export async function syncRun(services: Services, visibilityTimeoutSeconds = 1): Promise<{ uploaded: number; moved: number }> {
  const run = await runSyncPass(
    services,
    { trigger: 'test', settings: services.config.sync, upload: { maxMessages: 1000, visibilityTimeoutSeconds } },
    { instanceId: `test-${randomUUID()}`, sleep: async () => {} },
  );
  return { uploaded: run.uploaded, moved: run.completed + run.failed + run.waiting };
}

/** Runs sync until two consecutive runs move nothing and the queue is empty: where invariants are checked. */
export async function quiesce(
  services: Services,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  maxRuns = 12,
): Promise<number> {
  let idle = 0;
  for (let run = 1; run <= maxRuns; run++) {
    const result = await syncRun(services);
    const depth = await services.queue.approximateDepth();
    if (result.uploaded + result.moved === 0 && depth.queued > 0) await wait(1100); // invisible after a failed upload
    idle = result.uploaded + result.moved === 0 && depth.queued === 0 ? idle + 1 : 0;
    if (idle >= 2) return run;
  }
  throw new Error(`sync did not quiesce within ${maxRuns} runs`);
}

/** Documents in every container and messages in both queues: "nothing written" means these do not change. */
export async function footprint(app: TestApp): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const client = createCosmosClient(app.config.cosmos);
  try {
    for (const [name, container] of Object.entries(containers(client, app.config.cosmos))) {
      const { resources } = await container.items.query<{ id: string }>('SELECT c.id FROM c').fetchAll();
      counts[name] = resources.length;
    }
  } finally {
    client.dispose();
  }
  // Its own clients: counting must not consume (or trip over) the faults armed for the app.
  const queues = createQueueServiceClient(app.config.asyncQueue.connection);
  for (const [name, queue] of [
    ['queued', app.config.asyncQueue.name],
    ['poisoned', app.config.asyncQueue.poisonName],
  ]) {
    counts[name] = (await queues.getQueueClient(queue).getProperties()).approximateMessagesCount ?? 0;
  }
  return counts;
}
