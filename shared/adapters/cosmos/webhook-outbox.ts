import type { Container, SqlParameter } from '@azure/cosmos';
import type { WebhookDelivery } from '../../core/domain/webhook';
import type { Versioned } from '../../core/ports/errors';
import type { WebhookOutbox, WebhookOutboxSummary } from '../../core/ports/webhook-outbox';
import { createIfAbsent, readVersioned, replaceIfMatch, stripSystem, versionedOf } from './documents';

/**
 * How long a delivery is kept once it is over: a delivered one a week (a retried sync step within
 * that time finds it and records nothing again; metrics count the last hour), a given-up one a
 * month, for operators. Cosmos removes them itself (per-document `ttl`, container defaultTtl -1).
 */
export const WEBHOOK_RETENTION_SECONDS = { Delivered: 7 * 24 * 3600, Failed: 30 * 24 * 3600 } as const;

type Stored = WebhookDelivery & { ttl?: number };

/** The webhook outbox (`webhookOutbox`, partitioned by channel). */
export class CosmosWebhookOutbox implements WebhookOutbox {
  constructor(private readonly container: Container) {}

  async add(delivery: WebhookDelivery): Promise<boolean> {
    return createIfAbsent(this.container, delivery);
  }

  async read(channelId: string, id: string): Promise<Versioned<WebhookDelivery> | undefined> {
    const found = await readVersioned<Stored>(this.container, id, channelId);
    return found && { doc: withoutTtl(found.doc), etag: found.etag };
  }

  async due(channelId: string, now: string, limit: number): Promise<Versioned<WebhookDelivery>[]> {
    const { resources } = await this.container.items
      .query<Stored>(
        {
          query: "SELECT TOP @limit * FROM c WHERE c.channelId = @channelId AND c.status = 'Pending' AND c.nextAttemptAt <= @now ORDER BY c.nextAttemptAt",
          parameters: [
            { name: '@channelId', value: channelId },
            { name: '@limit', value: limit },
            { name: '@now', value: now },
          ],
        },
        { partitionKey: channelId },
      )
      .fetchAll();
    return resources.map((found) => {
      const { doc, etag } = versionedOf(found);
      return { doc: withoutTtl(doc), etag };
    });
  }

  async replace(delivery: WebhookDelivery, etag: string): Promise<string> {
    const ttl = delivery.status === 'Pending' ? undefined : WEBHOOK_RETENTION_SECONDS[delivery.status];
    const stored: Stored = ttl === undefined ? delivery : { ...delivery, ttl };
    return (await replaceIfMatch(this.container, stored, delivery.channelId, etag, `webhook delivery ${delivery.id}`)).etag;
  }

  async summary(channelId: string, deliveredSince: string): Promise<WebhookOutboxSummary> {
    // The partition key scopes each query in Cosmos; the filter on it says the same to servers that ignore it.
    const options = { partitionKey: channelId };
    const channel: SqlParameter = { name: '@channelId', value: channelId };
    const count = (where: string, parameters: SqlParameter[] = []) =>
      this.container.items
        .query<number>({ query: `SELECT VALUE COUNT(1) FROM c WHERE c.channelId = @channelId AND ${where}`, parameters: [channel, ...parameters] }, options)
        .fetchAll()
        .then(({ resources }) => resources[0] ?? 0);
    const [pending, retrying, failed, delivered, oldest] = await Promise.all([
      count("c.status = 'Pending'"),
      count("c.status = 'Pending' AND c.attempts > 0"),
      count("c.status = 'Failed'"),
      count("c.status = 'Delivered' AND c.deliveredAt >= @since", [{ name: '@since', value: deliveredSince }]),
      this.container.items
        .query<Stored>(
          { query: "SELECT TOP 1 * FROM c WHERE c.channelId = @channelId AND c.status = 'Pending' ORDER BY c.createdAt", parameters: [channel] },
          options,
        )
        .fetchAll()
        .then(({ resources }) => resources[0]),
    ]);
    return { pending, retrying, failed, deliveredSince: delivered, oldestPending: oldest && withoutTtl(stripSystem(oldest)) };
  }
}

/** The retention `ttl` is storage detail, not part of the delivery. */
function withoutTtl(doc: Stored): WebhookDelivery {
  const { ttl: _ttl, ...delivery } = doc;
  return delivery;
}
