import type { WebhookSecret } from '../config/webhook-secret';
import type { SendResult } from '../domain/webhook';

/** One try of one delivery, as the sender signs and posts it. */
export interface WebhookMessage {
  url: string;
  secret: WebhookSecret;
  /** `webhook-id`: the same on every try of the delivery. */
  id: string;
  /** `webhook-timestamp`: when this try is sent (the receiver rejects stale ones). */
  timestamp: Date;
  /** The JSON body, exactly as signed. */
  body: string;
  /** A try not answered within this is abandoned as "timed out". */
  timeoutMs: number;
}

/**
 * Posts a message signed per the Standard Webhooks specification. A receiver that cannot be
 * reached (refused, timed out, no such host) is a result, not an error: it is retried later.
 */
export interface WebhookSender {
  send(message: WebhookMessage): Promise<SendResult>;
}
