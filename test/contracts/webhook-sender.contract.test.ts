/**
 * The WebhookSender port over real HTTP (its one adapter; a real node:http receiver on a free
 * port): Standard Webhooks signatures that the `standardwebhooks` package verifies, a wrong secret
 * that does not, the receiver's status as the result, and a receiver that cannot be reached or
 * does not answer reported as such instead of thrown.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { HttpWebhookSender, webhookSignature } from '../../shared/adapters/http/webhook-sender';
import { WebhookSecret } from '../../shared/core/config/webhook-secret';
import type { WebhookMessage } from '../../shared/core/ports/webhook-sender';
import { newWebhookSecret, WebhookReceiver } from '../support/webhook-receiver';

const secret = newWebhookSecret();
const sender = new HttpWebhookSender();
let receiver: WebhookReceiver;

beforeEach(async () => {
  receiver = await WebhookReceiver.start();
});
afterEach(async () => {
  await receiver.close();
});

const body = JSON.stringify({
  type: 'customer.synced',
  timestamp: '2026-01-01T00:00:00.000Z',
  data: { channelId: 'FABRIKAM', customerId: 'c-1', custAccountAsync: 'a-1', accountNumber: 'C000000042' },
});

function message(overrides: Partial<WebhookMessage> = {}): WebhookMessage {
  return { url: receiver.url, secret: WebhookSecret.parse(secret)!, id: 'customer.synced:op-1', timestamp: new Date(), body, timeoutMs: 5000, ...overrides };
}

test('the receiver gets the body as signed, with the Standard Webhooks headers, and standardwebhooks verifies it', async () => {
  const sentAt = new Date();
  expect(await sender.send(message({ timestamp: sentAt }))).toEqual({ kind: 'answered', status: 204 });
  const [got] = await receiver.waitFor(1);
  expect(got.body).toBe(body);
  expect(got.headers).toMatchObject({
    'content-type': 'application/json',
    'webhook-id': 'customer.synced:op-1',
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]+=*$/),
  });
  expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toEqual(JSON.parse(body));
  expect(WebhookReceiver.verify(secret, got).type).toBe('customer.synced');
});

test('a receiver holding another secret, or a body changed on the way, fails verification', async () => {
  await sender.send(message());
  const [got] = await receiver.waitFor(1);
  const headers = got.headers as Record<string, string>;
  expect(() => new Webhook(newWebhookSecret()).verify(got.body, headers)).toThrow(WebhookVerificationError);
  expect(() => new Webhook(secret).verify(got.body.replace('C000000042', 'C000000043'), headers)).toThrow(WebhookVerificationError);
  expect(() => new Webhook(secret).verify(got.body, { ...headers, 'webhook-id': 'customer.synced:op-2' })).toThrow(WebhookVerificationError);
});

test('the signature is the spec example: HMAC-SHA256 of id.timestamp.body under the base64-decoded key', () => {
  // The Standard Webhooks specification's own example.
  const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
  const signed = webhookSignature(key, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
  expect(signed).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  expect(signed).toBe(
    new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').sign('msg_p5jXN8AQM9LWM0D4loKWxJek', new Date(1614265330_000), '{"test": 2432232314}'),
  );
});

test("the receiver's status is the result, whatever it is; its body is not read and redirects are not followed", async () => {
  receiver.answer(500, 429, 410, 302);
  expect(await sender.send(message())).toEqual({ kind: 'answered', status: 500 });
  expect(await sender.send(message())).toEqual({ kind: 'answered', status: 429 });
  expect(await sender.send(message())).toEqual({ kind: 'answered', status: 410 });
  expect(await sender.send(message())).toEqual({ kind: 'answered', status: 302 });
  expect(receiver.received).toHaveLength(4);
});

test('a receiver that does not answer in time, or is not there, is a result to retry, not an error', async () => {
  receiver.answer('hold');
  expect(await sender.send(message({ timeoutMs: 300 }))).toEqual({ kind: 'unreachable', error: 'timed out after 0.3 s' });
  const closedPort = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  expect(await sender.send(message({ url: `http://127.0.0.1:${closedPort}/hook` }))).toEqual({ kind: 'unreachable', error: 'connection refused' });
  expect(await sender.send(message({ url: 'https://no-such-host.invalid/hook' }))).toEqual({ kind: 'unreachable', error: 'host not found' });
});
