/**
 * Operators starting a sync run on demand (or waking the continuous loop) and reading recent runs.
 */
import * as df from 'durable-functions';
import { z } from 'zod';
import { SYNC_MODES } from '../../shared/core/config/settings';
import { syncRunSchema } from '../../shared/core/domain/sync-run';
import { parseQuery } from '../../shared/core/use-cases/query-string';
import type { Services } from '../composition-root';
import { startSyncRun } from '../sync/customer-sync';
import { HttpHandler, json, problem, withProblems } from './problem';

const MAX_RUNS = 100;
const DEFAULT_RUNS = 20;

/** Starting a run takes no parameters: a mistyped one is refused, not silently ignored. */
export const runQuery = z.strictObject({});
/** As strict as the list: `limit=abc` or `limit=1e9` is a 400 naming `/limit`, never clamped to a guess. */
export const runsQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d+$/, `must be a whole number from 1 to ${MAX_RUNS}`)
    .transform(Number)
    .pipe(z.number().int().min(1, `must be from 1 to ${MAX_RUNS}`).max(MAX_RUNS, `must be from 1 to ${MAX_RUNS}`))
    .optional(),
});

/**
 * The durable client's management links (createCheckStatusResponse): absolute URLs, some of them
 * templates (`{eventName}`, `{text}` to fill in), so not all of them are URIs as they stand.
 */
const managementLink = z.string();
export const runSyncAnswer = z
  .object({
    instanceId: z.string(),
    mode: z.enum(SYNC_MODES),
    started: z.boolean().meta({ description: 'false: a continuous loop was already running and was woken to pass at once.' }),
    id: z.string(),
    statusQueryGetUri: managementLink,
    sendEventPostUri: managementLink,
    terminatePostUri: managementLink,
    rewindPostUri: managementLink.optional(),
    purgeHistoryDeleteUri: managementLink,
    restartPostUri: managementLink.optional(),
    suspendPostUri: managementLink.optional(),
    resumePostUri: managementLink.optional(),
  })
  .meta({ id: 'SyncRunStarted', description: 'The orchestration instance and its Durable Functions status links.' });

export const runsAnswer = z.object({ runs: z.array(syncRunSchema).meta({ description: 'Newest first.' }) }).meta({ id: 'SyncRuns' });

export function runSyncHandler(services: () => Services): HttpHandler {
  return withProblems(async (request, context) => {
    parseQuery(runQuery, request.query.entries());
    const client = df.getClient(context);
    const result = await startSyncRun(client, 'http', services().config.sync);
    if (!result.started && !result.woken) {
      return problem({ status: 409, title: 'Sync already running', detail: result.reason, instanceId: result.instanceId });
    }
    context.log(result.started ? `sync run ${result.instanceId} started on demand` : `sync loop ${result.instanceId} woken on demand`);
    const check = client.createCheckStatusResponse(request, result.instanceId);
    const links = (await check.json()) as Record<string, string>;
    const body = { instanceId: result.instanceId, mode: services().config.sync.mode, started: result.started, ...links };
    return json(202, body, { location: links.statusQueryGetUri });
  });
}

export function listRunsHandler(services: () => Services): HttpHandler {
  return withProblems(async (request) => {
    const { limit = DEFAULT_RUNS } = parseQuery(runsQuery, request.query.entries());
    return json(200, { runs: await services().runs.recent(limit) });
  });
}
