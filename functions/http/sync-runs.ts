/**
 * Operators starting a sync run on demand and reading recent runs.
 */
import type { HttpRequest, InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { Services } from '../../shared/services';
import { startSyncRun } from '../sync/customer-sync';
import { errorResponse, json, problem } from './problem';
import type { HttpHandler } from './storefront';

export function runSyncHandler(services: () => Services): HttpHandler {
  return async (request: HttpRequest, context: InvocationContext) => {
    try {
      const client = df.getClient(context);
      const result = await startSyncRun(client, 'http', services().config.sync);
      if (!result.started) {
        return problem({ status: 409, title: 'Sync already running', detail: result.reason, instanceId: result.instanceId });
      }
      context.log(`sync run ${result.instanceId} started on demand`);
      const check = client.createCheckStatusResponse(request, result.instanceId);
      const links = (await check.json()) as Record<string, string>;
      return json(202, { instanceId: result.instanceId, ...links }, { location: links.statusQueryGetUri });
    } catch (error) {
      return errorResponse(error, context);
    }
  };
}

export function listRunsHandler(services: () => Services): HttpHandler {
  return async (request, context) => {
    try {
      const limit = Math.min(100, Math.max(1, Number(request.query.get('limit') ?? 20) || 20));
      return json(200, { runs: await services().runs.recent(limit) });
    } catch (error) {
      return errorResponse(error, context);
    }
  };
}
