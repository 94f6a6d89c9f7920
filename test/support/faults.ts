/**
 * Fault injection for the invariant tests (test-only code). Faults are injected in the SDKs' own
 * HTTP pipelines, so the app's real storage adapters run unchanged and see the same errors they
 * would see in Azure:
 *
 * - Cosmos: an `operation` plugin (`CosmosClientOptions.plugins`). Operation plugins wrap the SDK's
 *   retry policy, so an injected 429/503 reaches the caller as it would after retries ran out.
 * - Storage queue: a pipeline policy placed before the SDK's Retry phase (so the SDK's retry
 *   policy does not hide it either).
 *
 * A `FaultPlan` counts calls per target and decides, call by call, whether to fail. Every fault
 * it injects is recorded with its kind and call number, so a failing property prints a
 * counterexample that says exactly what failed where.
 */
import https from 'node:https';
import { CosmosClient, CosmosClientOptions, PluginConfig } from '@azure/cosmos';
import { newPipeline, QueueServiceClient, StorageSharedKeyCredential } from '@azure/storage-queue';

export type Target = 'cosmos' | 'queue';

/**
 * - `throttled` (429) / `unavailable` (503) / `timeout`: the request never reached the store.
 * - `succeeded-but-failed`: the request was sent and took effect, then the caller got an error
 *   (a lost response, or the process dying just after the write).
 */
export type FaultKind = 'throttled' | 'unavailable' | 'timeout' | 'succeeded-but-failed';
export const FAULT_KINDS: readonly FaultKind[] = ['throttled', 'unavailable', 'timeout', 'succeeded-but-failed'];

export interface InjectedFault {
  target: Target;
  kind: FaultKind;
  /** The call number on that target (1-based, counted since the plan was created). */
  call: number;
  /** What the call was, e.g. `cosmos create dbs/hq-1/colls/customers/docs` or `queue POST /ops-1/messages`. */
  operation: string;
}

interface Armed {
  target: Target | 'write';
  /** The target's call (or the global write) number that fails; or, with `matching`, the next matching call. */
  at: number;
  kind: FaultKind;
  matching?: RegExp;
}

export class FaultPlan {
  readonly calls: Record<Target, number> = { cosmos: 0, queue: 0 };
  /** Writes on either target, for "crash between two writes". */
  writes = 0;
  readonly injected: InjectedFault[] = [];
  private armed: Armed[] = [];

  /** Fail the `n`th next call on `target` (1 = the very next call). */
  failCall(target: Target, n: number, kind: FaultKind): void {
    this.armed.push({ target, at: this.calls[target] + n, kind });
  }

  /** Fail the next call on `target` whose operation (e.g. `cosmos create /dbs/hq-1/colls/customers/docs`) matches. */
  failCallTo(target: Target, matching: RegExp, kind: FaultKind): void {
    this.armed.push({ target, at: 0, kind, matching });
  }

  /**
   * A crash between two writes: the next write succeeds, the one after it fails before it is
   * sent (as if the process died). With `kind: 'succeeded-but-failed'` the second write happens too.
   */
  crashBetweenWrites(kind: FaultKind = 'unavailable'): void {
    this.armed.push({ target: 'write', at: this.writes + 2, kind });
  }

  /** Drops every armed fault that has not fired: "faults off". */
  disarm(): void {
    this.armed = [];
  }

  get armedCount(): number {
    return this.armed.length;
  }

  /** Called by the pipeline hooks for each call; returns the fault to inject, if any. */
  decide(target: Target, write: boolean, operation: string): InjectedFault | undefined {
    const call = ++this.calls[target];
    const writeNo = write ? ++this.writes : undefined;
    const index = this.armed.findIndex((a) =>
      a.matching ? a.target === target && a.matching.test(operation) : (a.target === target && a.at === call) || (a.target === 'write' && a.at === writeNo),
    );
    if (index < 0) return undefined;
    const [armed] = this.armed.splice(index, 1);
    const fault: InjectedFault = { target, kind: armed.kind, call, operation };
    this.injected.push(fault);
    return fault;
  }

  describe(): string {
    return this.injected.map((f) => `${f.kind} on ${f.target} call #${f.call} (${f.operation})`).join('; ') || 'no faults';
  }
}

/** The error each fault kind surfaces as, shaped like the SDK's own (Cosmos: numeric `code`; Storage: `statusCode`). */
export class InjectedFaultError extends Error {
  readonly code: number | string;
  readonly statusCode: number;
  constructor(readonly fault: InjectedFault) {
    const status = fault.kind === 'throttled' ? 429 : fault.kind === 'timeout' ? 408 : 503;
    super(`injected fault: ${fault.kind} on ${fault.target} call #${fault.call} (${fault.operation})`);
    this.name = fault.kind === 'timeout' ? 'TimeoutError' : 'RestError';
    this.code = status;
    this.statusCode = status;
  }
}

const COSMOS_WRITES = new Set(['create', 'replace', 'upsert', 'delete', 'patch', 'batch', 'execute']);

/** The Cosmos plugin: document operations only (account and container metadata reads are not counted). */
export function cosmosFaultPlugin(plan: FaultPlan): PluginConfig {
  return {
    on: 'operation',
    plugin: async (context, _diagnostics, next) => {
      if (context.resourceType !== 'docs') return next(context);
      const fault = plan.decide('cosmos', COSMOS_WRITES.has(String(context.operationType)), `cosmos ${context.operationType} ${context.path ?? ''}`);
      if (!fault) return next(context);
      if (fault.kind === 'succeeded-but-failed') await next(context);
      throw new InjectedFaultError(fault);
    },
  };
}

/** A Cosmos client like the app's (emulator key, loopback certificate) with the fault plugin. */
export function faultyCosmosClient(endpoint: string, key: string, plan: FaultPlan): CosmosClient {
  // `plugins` is read by the SDK (ClientContext) but marked @hidden, so it is not in the public type.
  const options: CosmosClientOptions & { plugins: PluginConfig[] } = {
    endpoint,
    key,
    agent: new https.Agent({ rejectUnauthorized: false, keepAlive: true, maxSockets: 64 }),
    connectionPolicy: { enableEndpointDiscovery: false },
    plugins: [cosmosFaultPlugin(plan)],
  };
  return new CosmosClient(options);
}

/** The parts of a core-rest-pipeline request, response and pipeline the queue policy needs. */
interface CoreRequest {
  url: string;
  method: string;
}
interface CorePolicy {
  name: string;
  sendRequest(request: CoreRequest, next: (request: CoreRequest) => Promise<unknown>): Promise<unknown>;
}
interface CorePipeline {
  addPolicy(policy: CorePolicy, options?: { phase?: string; afterPhase?: string }): void;
}

/**
 * The Storage pipeline policy: sends (POST), deletes and updates count as writes; receives and
 * peeks do not. It is added to the client's core pipeline without a phase, which puts it before
 * the SDK's Retry phase: an injected fault reaches the caller instead of being retried away.
 */
export function queueFaultPolicy(plan: FaultPlan): CorePolicy {
  return {
    name: 'injectFaults',
    async sendRequest(request, next) {
      const url = new URL(request.url);
      const write = request.method !== 'GET' && request.method !== 'HEAD';
      const fault = plan.decide('queue', write, `queue ${request.method} ${url.pathname}`);
      if (!fault) return next(request);
      if (fault.kind === 'succeeded-but-failed') await next(request);
      throw new InjectedFaultError(fault);
    },
  };
}

/**
 * A queue service client for the given (Azurite) connection string with the fault policy.
 * storage-queue 12.32 turns a `Pipeline` into a core-rest-pipeline pipeline when the client is
 * built and caches it on the Pipeline object (`_corePipeline`), shared by every QueueClient the
 * service client hands out; the policy is added there. (A legacy `RequestPolicyFactory` in
 * `Pipeline.factories` goes through a compatibility wrapper that broke request signing: 403.)
 */
export function faultyQueueServiceClient(connectionString: string, plan: FaultPlan): QueueServiceClient {
  const parts = Object.fromEntries(
    connectionString
      .split(';')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const pipeline = newPipeline(new StorageSharedKeyCredential(parts.AccountName, parts.AccountKey), { retryOptions: { maxTries: 2, retryDelayInMs: 50 } });
  const client = new QueueServiceClient(parts.QueueEndpoint, pipeline);
  const core = (pipeline as unknown as { _corePipeline?: CorePipeline })._corePipeline;
  if (!core) throw new Error('storage-queue no longer exposes its core pipeline: update the fault seam');
  core.addPolicy(queueFaultPolicy(plan));
  return client;
}

/** Runs an activity twice, at once or one after the other, as a redelivered or retried activity would. */
export async function twice<T>(activity: () => Promise<T>, mode: 'concurrent' | 'sequential'): Promise<PromiseSettledResult<T>[]> {
  if (mode === 'concurrent') return Promise.allSettled([activity(), activity()]);
  const first = await Promise.allSettled([activity()]);
  return [...first, ...(await Promise.allSettled([activity()]))];
}
