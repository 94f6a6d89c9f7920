/**
 * Webhooks over HTTP, signed per the Standard Webhooks specification: `webhook-id`,
 * `webhook-timestamp` (unix seconds) and `webhook-signature`, `v1,` + base64 of the HMAC-SHA256,
 * keyed by the channel's secret, of `{id}.{timestamp}.{body}`. The receiver's answer is reduced to
 * its status code: its body is never read (nor logged), redirects are not followed (a signed
 * event goes to the configured URL only), and an unreachable receiver is a result to retry.
 */
import { createHmac } from 'node:crypto';
import type { SendResult } from '../../core/domain/webhook';
import type { WebhookMessage, WebhookSender } from '../../core/ports/webhook-sender';

/** The `webhook-signature` header value for one message. */
export function webhookSignature(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

export class HttpWebhookSender implements WebhookSender {
  async send(message: WebhookMessage): Promise<SendResult> {
    const timestamp = Math.floor(message.timestamp.getTime() / 1000);
    try {
      const response = await fetch(message.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': message.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': webhookSignature(message.secret.key(), message.id, timestamp, message.body),
        },
        body: message.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(message.timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      return { kind: 'answered', status: response.status };
    } catch (error) {
      return { kind: 'unreachable', error: unreachable(error, message.timeoutMs) };
    }
  }
}

/** Why no answer came, in words an operator reads on /api/ops/metrics (no URL, no address). */
function unreachable(error: unknown, timeoutMs: number): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs / 1000} s`;
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `timed out after ${timeoutMs / 1000} s`;
    default:
      return typeof code === 'string' && /^[A-Z_]+$/.test(code) ? `network error (${code})` : 'network error';
  }
}
