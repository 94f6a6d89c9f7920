/**
 * Completion webhooks: the events a channel's receiver is told about, the outbox record that
 * carries one event to one receiver until it answers, and the retry schedule.
 *
 * An event is recorded by the sync step that makes it true, under an id derived from what it is
 * about (`customer.synced:{operationId}`), so a retried step records it once; that id is also the
 * `webhook-id` of every try, so a receiver can drop a repeat (delivery is at least once).
 */
import { z } from 'zod';
import { ENTITIES, OPERATION_KINDS } from './operation';

export const WEBHOOK_EVENT_TYPES = ['customer.synced', 'customer.syncFailed'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * The event bodies as a receiver gets them (the tests parse what a receiver got with these).
 * Ids only: no name, email or phone, and `error` is HQ's rule text with anything shaped like an
 * email or phone number taken out.
 */
export const customerSyncedEventSchema = z.strictObject({
  type: z.literal('customer.synced'),
  timestamp: z.iso.datetime(),
  data: z.strictObject({
    channelId: z.string(),
    customerId: z.string(),
    /** The temporary GUID account the customer had while pending sync (null: created in real time). */
    custAccountAsync: z.string().nullable(),
    accountNumber: z.string(),
  }),
});

export const customerSyncFailedEventSchema = z.strictObject({
  type: z.literal('customer.syncFailed'),
  timestamp: z.iso.datetime(),
  data: z.strictObject({
    channelId: z.string(),
    operationId: z.string(),
    /** Null for a poison message whose customer could not be read. */
    customerId: z.string().nullable(),
    custAccountAsync: z.string().nullable(),
    entity: z.enum(ENTITIES),
    operation: z.enum(OPERATION_KINDS),
    /** Attempts so far: the operation waits for an operator (Sync__maxAttempts reached, or poison). */
    attempts: z.number().int().nonnegative(),
    error: z.string(),
  }),
});

export const webhookEventSchema = z.discriminatedUnion('type', [customerSyncedEventSchema, customerSyncFailedEventSchema]);

export type CustomerSyncedEvent = z.infer<typeof customerSyncedEventSchema>;
export type CustomerSyncFailedEvent = z.infer<typeof customerSyncFailedEventSchema>;
export type WebhookEvent = z.infer<typeof webhookEventSchema>;

export const DELIVERY_STATUSES = ['Pending', 'Delivered', 'Failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One event on its way to one channel's receiver: the outbox record. */
export interface WebhookDelivery {
  /** `webhook-id` of every try: `{type}:{operationId}` (a failure also carries the attempt it failed at). */
  id: string;
  channelId: string;
  event: WebhookEvent;
  /** Pending: not answered 2xx yet; Delivered: answered 2xx; Failed: given up (see WEBHOOK_RETRY). */
  status: DeliveryStatus;
  createdAt: string;
  /** Tries started (a try counts when it is claimed, so a crash mid-try counts too). */
  attempts: number;
  /** When the next try may start: set ahead at each claim, so a deliverer that dies is retried after it. */
  nextAttemptAt: string;
  lastAttemptAt: string | null;
  /** What the receiver did on the last try: "HTTP 503", "timed out after 10 s", "connection refused". Never its body. */
  lastError: string | null;
  /** The status code of the last answer, if there was one. */
  lastStatus: number | null;
  deliveredAt: string | null;
  failedAt: string | null;
}

export function syncedDeliveryId(createOperationId: string): string {
  return `customer.synced:${createOperationId}`;
}

/**
 * An operation can wait for an operator more than once (Save, Synchronize, fail again): one event
 * each time, told apart by the attempt it failed at, the same for a retried step.
 */
export function syncFailedDeliveryId(operationId: string, attempts: number): string {
  return `customer.syncFailed:${operationId}:${attempts}`;
}

export function newDelivery(id: string, event: WebhookEvent, now: string): WebhookDelivery {
  return {
    id,
    channelId: event.data.channelId,
    event,
    status: 'Pending',
    createdAt: now,
    attempts: 0,
    nextAttemptAt: now,
    lastAttemptAt: null,
    lastError: null,
    lastStatus: null,
    deliveredAt: null,
    failedAt: null,
  };
}

/**
 * The retry schedule: 10 s after the first failed try, doubling, at most an hour apart (about 80
 * tries in all), and given up 3 days after the event. A try that gets no answer within 10 s failed.
 */
export const WEBHOOK_RETRY = {
  firstDelayMs: 10_000,
  maxDelayMs: 60 * 60_000,
  giveUpAfterMs: 3 * 24 * 60 * 60_000,
  timeoutMs: 10_000,
} as const;

export type WebhookRetryPolicy = typeof WEBHOOK_RETRY;

/** The wait after the `attempt`th try failed (1-based). */
export function retryDelayMs(attempt: number, policy: WebhookRetryPolicy = WEBHOOK_RETRY): number {
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(attempt - 1, 30));
}

/** What a try came to, as the HTTP adapter reports it. */
export type SendResult = { kind: 'answered'; status: number } | { kind: 'unreachable'; error: string };

/**
 * 2xx: delivered. 410 Gone: the receiver says this endpoint is gone for good; given up at once.
 * Anything else (5xx, 408, 429, a timeout, no connection, and also 4xx and 3xx) is tried again on
 * the backoff schedule until WEBHOOK_RETRY.giveUpAfterMs: a 401, 403 or 404 is most often a
 * receiver being set up or its secret being rotated, and a redirect an endpoint that moved; each
 * is fixed on the receiver's side (or in Channels__{id}__webhookUrl) within the retry window, while
 * giving up would lose the event for good. Three days of backoff cost about 80 requests per event.
 */
export function verdict(result: SendResult): 'delivered' | 'retry' | 'refused' {
  if (result.kind === 'unreachable') return 'retry';
  if (result.status >= 200 && result.status < 300) return 'delivered';
  if (result.status === 410) return 'refused';
  return 'retry';
}

export function describeResult(result: SendResult): string {
  return result.kind === 'answered' ? `HTTP ${result.status}` : result.error;
}

const EMAIL_LIKE = /[^\s@]+@[^\s@]+/g;
/** Seven or more digits, with the separators phone numbers are written with. */
const PHONE_LIKE = /\+?\d[\d\s().-]{5,}\d/g;

/**
 * An error text for a receiver outside this system: HQ's rule texts carry no personal data, and
 * this keeps it so should one ever quote a value. Bounded, too.
 */
export function eventErrorText(error: string | null): string {
  const text = (error ?? 'failed').replace(EMAIL_LIKE, '[email]').replace(PHONE_LIKE, '[number]');
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
