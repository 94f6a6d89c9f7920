import type { WebhookDelivery } from '../domain/webhook';
import type { Versioned } from './errors';

/** How one channel's deliveries stand, for /api/ops/metrics. */
export interface WebhookOutboxSummary {
  pending: number;
  /** Pending and tried at least once without success: the receiver is not taking them. */
  retrying: number;
  failed: number;
  /** Delivered at or after the given time. */
  deliveredSince: number;
  /** The Pending delivery created first. */
  oldestPending: WebhookDelivery | undefined;
}

/**
 * The webhook outbox: each event recorded once per channel receiver by the sync step that makes
 * it true, then taken from here by the deliverer, off the sign-up's and the sync pass's path.
 * Deliveries are partitioned by channel: the deliverer and the metrics read one channel at a time.
 */
export interface WebhookOutbox {
  /** Records the delivery unless one with its id is there (a retried step): true when it was new. */
  add(delivery: WebhookDelivery): Promise<boolean>;
  read(channelId: string, id: string): Promise<Versioned<WebhookDelivery> | undefined>;
  /** The channel's Pending deliveries whose nextAttemptAt is at or before `now`, earliest first, at most `limit`. */
  due(channelId: string, now: string, limit: number): Promise<Versioned<WebhookDelivery>[]>;
  /** Replaces the delivery if it is still at `etag` (StaleVersionError: another deliverer took it); answers the new ETag. */
  replace(delivery: WebhookDelivery, etag: string): Promise<string>;
  summary(channelId: string, deliveredSince: string): Promise<WebhookOutboxSummary>;
}
