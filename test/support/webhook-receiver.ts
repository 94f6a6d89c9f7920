/**
 * A webhook receiver for tests: a real node:http server on a free loopback port that records
 * every request (headers and raw body) and answers each with what the test says: a status, or
 * nothing at all until the test releases it (a receiver that hangs, or a host killed before the
 * answer came).
 */
import { randomBytes } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { webhookEventSchema, WebhookEvent } from '../../shared/core/domain/webhook';

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
  /** webhook-id */
  id: string;
}

/** What the receiver does with one request: answer with a status, or hold it unanswered. */
export type Answer = number | 'hold';

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly held = new Set<ServerResponse>();
  private answers: Answer[] = [];
  private fallback: Answer = 204;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  /** Listens on 127.0.0.1 at a free port; `path` is the webhook path. */
  static async start(path = '/webhooks/commerce'): Promise<WebhookReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new WebhookReceiver(server, `http://127.0.0.1:${port}${path}`);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => receiver.take(request.headers, Buffer.concat(chunks).toString('utf8'), response));
    });
    return receiver;
  }

  /** The next requests get these answers in turn; after them, what `otherwise` says (204 unless told). */
  answer(...answers: Answer[]): this {
    this.answers.push(...answers);
    return this;
  }

  otherwise(answer: Answer): this {
    this.fallback = answer;
    return this;
  }

  /** Resolves once `count` requests have come (the test's own timeout bounds the wait). */
  async waitFor(count: number): Promise<ReceivedWebhook[]> {
    while (this.received.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.received.slice(0, count);
  }

  /** Answers every held request with `status`. */
  release(status = 204): void {
    for (const response of this.held) response.writeHead(status).end();
    this.held.clear();
  }

  /** Verifies a request as a receiver would, with the `standardwebhooks` package; throws when it does not verify. */
  static verify(secret: string, webhook: ReceivedWebhook): WebhookEvent {
    const payload = new Webhook(secret).verify(webhook.body, webhook.headers as Record<string, string>);
    return webhookEventSchema.parse(payload);
  }

  async close(): Promise<void> {
    this.release(503);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private take(headers: IncomingHttpHeaders, body: string, response: ServerResponse): void {
    this.received.push({ headers, body, id: String(headers['webhook-id']) });
    const answer = this.answers.shift() ?? this.fallback;
    if (answer === 'hold') this.held.add(response);
    else response.writeHead(answer).end();
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** A fresh Standard Webhooks secret. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}
