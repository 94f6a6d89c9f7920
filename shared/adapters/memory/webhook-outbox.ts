import type { WebhookDelivery } from '../../core/domain/webhook';
import type { Versioned } from '../../core/ports/errors';
import type { WebhookOutbox, WebhookOutboxSummary } from '../../core/ports/webhook-outbox';
import { by, MemoryContainer } from './documents';

/** The webhook outbox in memory, partitioned by channel as `webhookOutbox` is, with the Cosmos adapter's queries. */
export class MemoryWebhookOutbox implements WebhookOutbox {
  constructor(readonly container = new MemoryContainer<WebhookDelivery>((delivery) => delivery.channelId)) {}

  async add(delivery: WebhookDelivery): Promise<boolean> {
    if (this.container.read(delivery.id, delivery.channelId)) return false;
    this.container.create(delivery, `webhook delivery ${delivery.id}`);
    return true;
  }

  async read(channelId: string, id: string): Promise<Versioned<WebhookDelivery> | undefined> {
    return this.container.read(id, channelId);
  }

  async due(channelId: string, now: string, limit: number): Promise<Versioned<WebhookDelivery>[]> {
    return this.container
      .all()
      .filter(({ doc }) => doc.channelId === channelId && doc.status === 'Pending' && doc.nextAttemptAt <= now)
      .sort(by(({ doc }) => doc.nextAttemptAt))
      .slice(0, limit);
  }

  async replace(delivery: WebhookDelivery, etag: string): Promise<string> {
    return this.container.replace(delivery, etag, `webhook delivery ${delivery.id}`).etag;
  }

  async summary(channelId: string, deliveredSince: string): Promise<WebhookOutboxSummary> {
    const mine = this.container.where((doc) => doc.channelId === channelId);
    const pending = mine.filter((doc) => doc.status === 'Pending');
    return {
      pending: pending.length,
      retrying: pending.filter((doc) => doc.attempts > 0).length,
      failed: mine.filter((doc) => doc.status === 'Failed').length,
      deliveredSince: mine.filter((doc) => doc.status === 'Delivered' && doc.deliveredAt !== null && doc.deliveredAt >= deliveredSince).length,
      oldestPending: pending.sort(by((doc) => doc.createdAt))[0],
    };
  }
}
