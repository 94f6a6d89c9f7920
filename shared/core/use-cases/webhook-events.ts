/**
 * Recording webhook events: the sync steps call these when they make an event true, before the
 * step's commit point (staging marked, the queue message deleted), so a crash in between makes
 * the retried step record it again, under the same id, which the outbox keeps once. Nothing is
 * sent here: delivery is the deliverer's (deliver-webhooks.ts), off the sync path, so a receiver
 * that is down costs a sync step nothing but this one write, and only for channels with a webhook.
 */
import type { AppConfig } from '../config/settings';
import type { Entity, OperationKind } from '../domain/operation';
import { eventErrorText, newDelivery, syncedDeliveryId, syncFailedDeliveryId, WebhookEvent } from '../domain/webhook';
import type { Clock } from '../ports/clock';
import type { WebhookOutbox } from '../ports/webhook-outbox';

/** A customer whose HQ account number the channel now knows. */
export interface SyncedCustomer {
  channelId: string;
  customerId: string;
  custAccountAsync: string | null;
  accountNumber: string;
  /** The customer's create operation: the event's id is derived from it. */
  createOperationId: string;
}

/** An operation that now waits for an operator. */
export interface FailedOperation {
  channelId: string;
  operationId: string;
  customerId: string | null;
  custAccountAsync: string | null;
  entity: Entity;
  operation: OperationKind;
  attempts: number;
  error: string | null;
}

export class WebhookEvents {
  constructor(
    private readonly config: Pick<AppConfig, 'channels'>,
    private readonly outbox: WebhookOutbox,
    private readonly clock: Clock,
  ) {}

  /** Whether the channel has a receiver; only then is anything recorded. */
  wanted(channelId: string): boolean {
    return this.config.channels.get(channelId)?.webhook !== undefined;
  }

  async customerSynced(customer: SyncedCustomer): Promise<void> {
    if (!this.wanted(customer.channelId)) return;
    const { createOperationId, ...data } = customer;
    await this.record(syncedDeliveryId(createOperationId), { type: 'customer.synced', timestamp: this.now(), data });
  }

  async syncFailed(failed: FailedOperation): Promise<void> {
    if (!this.wanted(failed.channelId)) return;
    await this.record(syncFailedDeliveryId(failed.operationId, failed.attempts), {
      type: 'customer.syncFailed',
      timestamp: this.now(),
      data: { ...failed, error: eventErrorText(failed.error) },
    });
  }

  private async record(id: string, event: WebhookEvent): Promise<void> {
    await this.outbox.add(newDelivery(id, event, event.timestamp));
  }

  private now(): string {
    return this.clock.now().toISOString();
  }
}
