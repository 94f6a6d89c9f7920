/**
 * The operators' "Customer synchronization status" API: list, detail, Save, Synchronize, and
 * the metrics and configuration the page shows above the list. Thin adapters over the core's
 * sync-status queries and commands; the ETag/If-Match handling is HTTP's (etag.ts).
 */
import type { HttpRequest, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { z } from 'zod';
import { SYNC_MODES } from '../../shared/core/config/settings';
import { DomainError } from '../../shared/core/domain/errors';
import { syncCountsSchema } from '../../shared/core/domain/sync-run';
import { parseListQuery } from '../../shared/core/use-cases/sync-status/list-query';
import { configView } from '../../shared/core/use-cases/config-view';
import type { Services } from '../composition-root';
import { OperationDetail, operationDetailSchema, opsMetricsSchema, syncStatusPageSchema } from '../../shared/core/use-cases/sync-status/queries';
import { syncStatusRowSchema } from '../../shared/core/use-cases/sync-status/rows';
import { ifMatchCheck, quoteEtag } from './etag';
import { HttpHandler, json, readJson, withProblems } from './problem';
import { readSyncLoop, SyncLoopView, syncLoopViewSchema } from '../sync/customer-sync';

/** The list page, with the link to the next page (also sent as a `Link` header). */
export const syncStatusListAnswer = syncStatusPageSchema
  .extend({ next: z.string().nullable().meta({ description: 'The path and query of the next page; null on the last page.' }) })
  .meta({ id: 'SyncStatusPage' });

/** The detail with its version as `etag` (the ETag header too); the page sends it back in If-Match. */
export const operationDetailAnswer = operationDetailSchema
  .omit({ version: true })
  .extend({ etag: z.string().nullable().meta({ description: 'The ETag of the staged operation; null for an operation still Pending in the channel.' }) })
  .meta({ id: 'OperationDetail' });

export const synchronizeAnswer = z
  .object({ operation: syncStatusRowSchema, counts: syncCountsSchema, runId: z.string().meta({ description: '`manual@<timestamp>`' }) })
  .meta({ id: 'SynchronizeResult' });

export const metricsAnswer = opsMetricsSchema
  .extend({ sync: syncLoopViewSchema.extend({ mode: z.enum(SYNC_MODES), hqAvailable: z.boolean() }) })
  .meta({ id: 'OpsMetrics' });

/** Whether a sync run (timer or on demand) is active; the Functions host asks the durable client. */
export type SyncRunActive = (request: HttpRequest, context: InvocationContext) => Promise<boolean>;

export function listSyncStatusHandler(services: () => Services): HttpHandler {
  return withProblems(async (request) => {
    const query = parseListQuery(request.query.entries());
    const page = await services().syncStatus.list(query);
    const headers: Record<string, string> = {};
    let next: string | null = null;
    if (page.continuationToken) {
      const url = new URL(request.url);
      url.searchParams.delete('code'); // never echo a function key into a link
      url.searchParams.set('continuationToken', page.continuationToken);
      next = url.pathname + url.search;
      headers.link = `<${next}>; rel="next"`;
    }
    return json(200, { ...page, next } satisfies z.output<typeof syncStatusListAnswer>, headers);
  });
}

export function getSyncStatusHandler(services: () => Services): HttpHandler {
  return withProblems(async (request) => {
    return detailResponse(await services().syncStatus.detail(request.params.operationId));
  });
}

export function saveSyncStatusHandler(services: () => Services): HttpHandler {
  return withProblems(async (request) => {
    const body = await readJson(request);
    const expected = ifMatchCheck(request.headers.get('if-match'));
    return detailResponse(await services().syncStatusCommands.save(request.params.operationId, expected, body));
  });
}

export function synchronizeOperationHandler(services: () => Services, syncRunActive: SyncRunActive): HttpHandler {
  return withProblems(async (request, context) => {
    // A scheduled run is a batch that owns the operations until it ends. The continuous loop
    // never ends, and HQ's conditional writes make an operator's pass beside it safe.
    const scheduled = services().config.sync.mode === 'scheduled';
    const result = await services().syncStatusCommands.synchronize(request.params.operationId, async () => {
      if (scheduled && (await syncRunActive(request, context))) {
        throw new DomainError('Conflict', 'a sync run is processing operations now; synchronize when it has finished', { reason: 'SyncRunning' });
      }
    });
    return json(200, result satisfies z.output<typeof synchronizeAnswer>);
  });
}

/** The detail with its version as the ETag header and an `etag` field (the page sends it back in If-Match). */
function detailResponse({ version, ...detail }: OperationDetail) {
  const etag = version === null ? null : quoteEtag(version);
  return json(200, { ...detail, etag } satisfies z.output<typeof operationDetailAnswer>, etag ? { etag } : {});
}

/** What the sync orchestration says of itself; the Functions host asks the durable client. */
export type SyncLoopReader = (request: HttpRequest, context: InvocationContext) => Promise<SyncLoopView>;

export function metricsHandler(services: () => Services, readLoop: SyncLoopReader): HttpHandler {
  return withProblems(async (request, context) => {
    const [metrics, loop] = await Promise.all([services().syncStatus.metrics(), readLoop(request, context)]);
    const sync = { mode: services().config.sync.mode, hqAvailable: services().hq.available(), ...loop };
    return json(200, { ...metrics, sync } satisfies z.output<typeof metricsAnswer>, { 'cache-control': 'no-store' });
  });
}

export function configHandler(services: () => Services): HttpHandler {
  return withProblems(async () => json(200, configView(services().config), { 'cache-control': 'no-store' }));
}

/** The Functions host's answer: the singleton orchestration's status, from the durable client input. */
export const durableSyncRunActive: SyncRunActive = async (_request, context) => (await readSyncLoop(df.getClient(context))).running;

export const durableSyncLoop: SyncLoopReader = (_request, context) => readSyncLoop(df.getClient(context));
