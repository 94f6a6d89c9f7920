/**
 * Delivering webhooks from the outbox, at least once: a timer of its own calls `deliverDue`
 * (functions/index.ts), so neither a sign-up nor a sync pass ever waits for a receiver.
 *
 * Each try first claims the delivery (a conditional write that counts the try and moves its next
 * try ahead by the retry delay plus the send timeout), then posts it, then records the answer:
 * 2xx delivered; 410 Gone: given up; anything else, no answer included: tried again after the
 * backoff of WEBHOOK_RETRY, for up to three days (domain/webhook.ts `verdict` says why). A deliverer that dies
 * after its claim leaves the delivery Pending with a next try in the near future, so another
 * round sends it again with the same `webhook-id`. Two deliverers racing for one delivery: the
 * claim lets one win.
 *
 * Channels are delivered to side by side and apart: one channel's first due delivery is tried
 * alone, and only when its receiver takes it do the rest follow, so a receiver that is down costs
 * one try per round and never holds up another channel's deliveries. A round takes batch after
 * batch of due deliveries and stops starting tries after its time budget.
 */
import { z } from 'zod';
import type { AppConfig, ChannelWebhook } from '../config/settings';
import { describeResult, retryDelayMs, verdict, WEBHOOK_RETRY, WebhookDelivery, WebhookRetryPolicy } from '../domain/webhook';
import type { Clock } from '../ports/clock';
import { isWriteConflict, Versioned } from '../ports/errors';
import type { WebhookOutbox } from '../ports/webhook-outbox';
import type { WebhookSender } from '../ports/webhook-sender';

export interface DeliveryOptions {
  /** Due deliveries read at a time per channel (default 50); a round reads batch after batch. */
  batchSize?: number;
  /** Tries in flight per channel once its receiver answered (default 4). */
  concurrency?: number;
  /** No try starts after this much of a round has passed (default 10 s). */
  budgetMs?: number;
  retry?: WebhookRetryPolicy;
  log?: (message: string) => void;
}

export const DELIVERY_DEFAULTS = { batchSize: 50, concurrency: 4, budgetMs: 10_000 } as const;

/** What one round did. */
export interface DeliveryRound {
  attempted: number;
  delivered: number;
  /** Tried and left for a later try. */
  retrying: number;
  /** Given up in this round (410 Gone, or past the retry window). */
  failed: number;
}

type Outcome = 'delivered' | 'retrying' | 'failed' | 'taken';

const deliveryCounts = {
  pending: z.int().min(0),
  /** Pending and tried without success: the receiver is not taking them. */
  retrying: z.int().min(0),
  failed: z.int().min(0),
  deliveredLastHour: z.int().min(0),
};

/** /api/ops/metrics: the deliveries of every channel with a webhook. */
export const webhookMetricsSchema = z.object({
  ...deliveryCounts,
  oldestPendingAgeSeconds: z.int().min(0).nullable(),
  channels: z.array(
    z.object({
      channelId: z.string(),
      ...deliveryCounts,
      oldestPending: z
        .object({
          id: z.string(),
          createdAt: z.iso.datetime(),
          ageSeconds: z.int().min(0),
          attempts: z.int().min(0),
          nextAttemptAt: z.iso.datetime(),
          lastError: z.string().nullable(),
        })
        .nullable(),
    }),
  ),
});
export type WebhookMetrics = z.output<typeof webhookMetricsSchema>;

export class WebhookDeliverer {
  private readonly retry: WebhookRetryPolicy;

  constructor(
    private readonly config: Pick<AppConfig, 'channels'>,
    private readonly outbox: WebhookOutbox,
    private readonly sender: WebhookSender,
    private readonly clock: Clock,
    private readonly options: DeliveryOptions = {},
  ) {
    this.retry = options.retry ?? WEBHOOK_RETRY;
  }

  /** The channels with a webhook. */
  channels(): { channelId: string; webhook: ChannelWebhook }[] {
    return [...this.config.channels.values()].flatMap((c) => (c.webhook ? [{ channelId: c.id, webhook: c.webhook }] : []));
  }

  /** One round: every channel's due deliveries, tried as the module comment says. */
  async deliverDue(): Promise<DeliveryRound> {
    const round: DeliveryRound = { attempted: 0, delivered: 0, retrying: 0, failed: 0 };
    const deadline = Date.now() + (this.options.budgetMs ?? DELIVERY_DEFAULTS.budgetMs);
    await Promise.all(
      this.channels().map(async ({ channelId, webhook }) => {
        try {
          await this.deliverChannel(channelId, webhook, deadline, round);
        } catch (error) {
          // Storage trouble: what was claimed is tried again once its claim runs out.
          this.options.log?.(`webhooks: channel ${channelId} left for a later round: ${(error as Error).message}`);
        }
      }),
    );
    return round;
  }

  /**
   * One channel's part of a round: batches of its due deliveries until none is due, its receiver
   * fails one, or the round's budget is spent (the claims keep what was sent out of the next batch).
   */
  private async deliverChannel(channelId: string, webhook: ChannelWebhook, deadline: number, round: DeliveryRound): Promise<void> {
    const batchSize = this.options.batchSize ?? DELIVERY_DEFAULTS.batchSize;
    for (let batch = 0; Date.now() < deadline; batch++) {
      const due = await this.outbox.due(channelId, this.clock.now().toISOString(), batchSize);
      if (due.length === 0) return;
      if (batch === 0) {
        // The first alone: a receiver that is down gets one try per round, not one per delivery.
        if ((await this.deliverOne(webhook, due.shift()!, round)) !== 'delivered') return;
      }
      let stop = false;
      const worker = async () => {
        for (let next = due.shift(); next && !stop && Date.now() < deadline; next = due.shift()) {
          const outcome = await this.deliverOne(webhook, next, round);
          if (outcome === 'retrying' || outcome === 'failed') stop = true;
        }
      };
      await Promise.all(Array.from({ length: this.options.concurrency ?? DELIVERY_DEFAULTS.concurrency }, worker));
      if (stop) return;
    }
  }

  private async deliverOne(webhook: ChannelWebhook, found: Versioned<WebhookDelivery>, round: DeliveryRound): Promise<Outcome> {
    const { doc } = found;
    const now = this.clock.now();
    if (now.getTime() - Date.parse(doc.createdAt) >= this.retry.giveUpAfterMs) {
      // Past the retry window before this try: give up without sending.
      return this.finish(found.etag, { ...doc, status: 'Failed', failedAt: now.toISOString(), lastError: this.givenUp(doc) }, round);
    }
    const attempt = doc.attempts + 1;
    const claimed: WebhookDelivery = {
      ...doc,
      attempts: attempt,
      lastAttemptAt: now.toISOString(),
      nextAttemptAt: new Date(now.getTime() + retryDelayMs(attempt, this.retry) + this.retry.timeoutMs).toISOString(),
    };
    let etag: string;
    try {
      etag = await this.outbox.replace(claimed, found.etag);
    } catch (error) {
      if (isWriteConflict(error)) return 'taken';
      throw error;
    }
    round.attempted++;
    const result = await this.sender.send({
      url: webhook.url,
      secret: webhook.secret,
      id: doc.id,
      timestamp: now,
      body: JSON.stringify(doc.event),
      timeoutMs: this.retry.timeoutMs,
    });
    const answeredAt = this.clock.now();
    const lastStatus = result.kind === 'answered' ? result.status : null;
    const lastError = describeResult(result);
    switch (verdict(result)) {
      case 'delivered':
        // Counted per round by the timer's log line, not one line per event.
        return this.finish(etag, { ...claimed, status: 'Delivered', deliveredAt: answeredAt.toISOString(), lastStatus, lastError: null }, round);
      case 'refused':
        this.options.log?.(`webhooks: ${doc.id} refused by channel ${doc.channelId}'s receiver (${lastError}); not tried again`);
        return this.finish(
          etag,
          { ...claimed, status: 'Failed', failedAt: answeredAt.toISOString(), lastStatus, lastError: `${lastError}: refused, not retried` },
          round,
        );
      case 'retry': {
        const failed = { ...claimed, lastStatus, lastError };
        if (answeredAt.getTime() - Date.parse(doc.createdAt) >= this.retry.giveUpAfterMs) {
          return this.finish(etag, { ...failed, status: 'Failed', failedAt: answeredAt.toISOString(), lastError: this.givenUp(failed) }, round);
        }
        this.options.log?.(`webhooks: ${doc.id} to channel ${doc.channelId}'s receiver: ${lastError} (try ${attempt}); tried again later`);
        return this.finish(etag, { ...failed, nextAttemptAt: new Date(answeredAt.getTime() + retryDelayMs(attempt, this.retry)).toISOString() }, round);
      }
    }
  }

  private givenUp(doc: WebhookDelivery): string {
    const days = this.retry.giveUpAfterMs / 86_400_000;
    return `given up after ${doc.attempts} tries over ${days} day${days === 1 ? '' : 's'}${doc.lastError ? `: ${doc.lastError}` : ''}`;
  }

  /** Records how the try ended. A lost write leaves the claim, which runs out into another try. */
  private async finish(etag: string, delivery: WebhookDelivery, round: DeliveryRound): Promise<Outcome> {
    const outcome: Outcome = delivery.status === 'Delivered' ? 'delivered' : delivery.status === 'Failed' ? 'failed' : 'retrying';
    round[outcome]++;
    try {
      await this.outbox.replace(delivery, etag);
    } catch (error) {
      if (!isWriteConflict(error)) throw error;
    }
    return outcome;
  }

  /** How the deliveries of every channel with a webhook stand. */
  async metrics(): Promise<WebhookMetrics> {
    const now = this.clock.now();
    const since = new Date(now.getTime() - 60 * 60_000).toISOString();
    const ageOf = (createdAt: string) => Math.max(0, Math.round((now.getTime() - Date.parse(createdAt)) / 1000));
    const channels = await Promise.all(
      this.channels().map(async ({ channelId }) => {
        const s = await this.outbox.summary(channelId, since);
        const oldest = s.oldestPending;
        return {
          channelId,
          pending: s.pending,
          retrying: s.retrying,
          failed: s.failed,
          deliveredLastHour: s.deliveredSince,
          oldestPending: oldest
            ? {
                id: oldest.id,
                createdAt: oldest.createdAt,
                ageSeconds: ageOf(oldest.createdAt),
                attempts: oldest.attempts,
                nextAttemptAt: oldest.nextAttemptAt,
                lastError: oldest.lastError,
              }
            : null,
        };
      }),
    );
    const sum = (key: 'pending' | 'retrying' | 'failed' | 'deliveredLastHour') => channels.reduce((total, c) => total + c[key], 0);
    const ages = channels.flatMap((c) => (c.oldestPending ? [c.oldestPending.ageSeconds] : []));
    return {
      pending: sum('pending'),
      retrying: sum('retrying'),
      failed: sum('failed'),
      deliveredLastHour: sum('deliveredLastHour'),
      oldestPendingAgeSeconds: ages.length ? Math.max(...ages) : null,
      channels,
    };
  }
}
