/**
 * Counts the requests the app sends: a Cosmos client plugin sees every network request (retries
 * included), and a wrapper around the operation queue sees every queue call the app makes. The
 * counts turn into "requests per synchronized customer", which is what the emulators (and a real
 * account's RU bill) pay for.
 */
import { PluginConfig, PluginOn } from '@azure/cosmos';
import type { OperationQueue } from '../../shared/core/ports/operation-queue';

export interface RequestTally {
  total: number;
  /** By `operation resource` (e.g. `create docs`, `patch docs`, `query docs`). */
  byKind: Record<string, number>;
  /** Time spent in each kind of request, ms (sum over requests in flight, not wall time). */
  msByKind: Record<string, number>;
}

export class RequestCounter {
  cosmos: RequestTally = emptyTally();
  queue: RequestTally = emptyTally();

  reset(): void {
    this.cosmos = emptyTally();
    this.queue = emptyTally();
  }

  /** A plugin for `createCosmosClient(..., { plugins })`: one count per network request. */
  cosmosPlugin(): PluginConfig {
    return {
      on: PluginOn.request,
      plugin: async (context, _diagnostics, next) => {
        const kind = `${context.operationType ?? 'unknown'} ${context.resourceType ?? ''}`.trim();
        const start = performance.now();
        try {
          return await next(context);
        } finally {
          record(this.cosmos, kind, performance.now() - start);
        }
      },
    };
  }

  /**
   * Wraps the queue's methods in place: the uploader and the customer service hold this very
   * object, so every call they make is counted. Each method is one storage request.
   */
  wrapQueue(queue: OperationQueue): void {
    const target = queue as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
    for (const name of ['send', 'receive', 'delete', 'setAside'] as const) {
      const original = target[name].bind(queue);
      target[name] = async (...args: unknown[]) => {
        const start = performance.now();
        try {
          return await original(...args);
        } finally {
          record(this.queue, name, performance.now() - start);
        }
      };
    }
  }
}

function emptyTally(): RequestTally {
  return { total: 0, byKind: {}, msByKind: {} };
}

function record(tally: RequestTally, kind: string, ms: number): void {
  tally.total++;
  tally.byKind[kind] = (tally.byKind[kind] ?? 0) + 1;
  tally.msByKind[kind] = (tally.msByKind[kind] ?? 0) + ms;
}

/** `create docs: 1.00, patch docs: 2.00` per unit, for the report. */
export function perUnit(tally: RequestTally, units: number): Record<string, number> {
  return Object.fromEntries(Object.entries(tally.byKind).map(([kind, n]) => [kind, round(n / Math.max(1, units), 3)]));
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
