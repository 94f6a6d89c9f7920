/**
 * The webhook deliverer's timer: a round of deliveries from the outbox on `Webhooks__schedule`
 * (every 5 s by default), in a function of its own, so no sign-up and no sync pass waits for a
 * receiver. Registered only when some channel has a webhook (functions/index.ts), so an app
 * without one pays for no executions. Like every timer trigger it never overlaps itself (one
 * instance at a time, across instances too).
 */
import type { InvocationContext, Timer } from '@azure/functions';
import type { Services } from '../composition-root';

export function deliverWebhooksHandler(services: () => Services) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const round = await services().webhooks.deliverDue();
    if (round.attempted + round.failed > 0) {
      context.log(`webhooks: ${round.attempted} tried, ${round.delivered} delivered, ${round.retrying} to try again, ${round.failed} given up`);
    }
  };
}
