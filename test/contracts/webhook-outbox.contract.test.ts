/**
 * The WebhookOutbox contract on memory and on the Cosmos DB server: one record per id and
 * channel, the deliveries due (Pending, due by now, earliest first, per channel), conditional
 * replace (a claim loses to another deliverer's), and the per-channel summary the metrics show.
 */
import { CosmosWebhookOutbox, WEBHOOK_RETENTION_SECONDS } from '../../shared/adapters/cosmos/webhook-outbox';
import { MemoryWebhookOutbox } from '../../shared/adapters/memory';
import type { WebhookDelivery } from '../../shared/core/domain/webhook';
import { StaleVersionError } from '../../shared/core/ports/errors';
import type { WebhookOutbox } from '../../shared/core/ports/webhook-outbox';
import { expectMissingRecordError } from './expectations';
import { at, webhookDelivery } from './records';
import { useCosmosContainers } from './real-adapters';

const ids = (found: { doc: WebhookDelivery }[]) => found.map(({ doc }) => doc.id);

export function webhookOutboxContract(make: () => Promise<WebhookOutbox>): void {
  let outbox: WebhookOutbox;
  beforeEach(async () => {
    outbox = await make();
  });

  test('add records a copy once: the same id again (a retried sync step) is refused with false and changes nothing', async () => {
    const delivery = webhookDelivery();
    expect(await outbox.add(delivery)).toBe(true);
    expect(await outbox.add({ ...delivery, createdAt: at(9), attempts: 4 })).toBe(false);
    delivery.attempts = 7;
    const read = await outbox.read('FABRIKAM', delivery.id);
    expect(read).toEqual({ doc: { ...delivery, attempts: 0 }, etag: expect.any(String) });
    read!.doc.event.timestamp = 'changed after read';
    expect((await outbox.read('FABRIKAM', delivery.id))?.doc.event.timestamp).toBe(at(0));
  });

  test('read is by channel and id: an id under another channel is another record', async () => {
    const delivery = webhookDelivery('FABRIKAM');
    await outbox.add(delivery);
    expect(await outbox.read('CONTOSO', delivery.id)).toBeUndefined();
    expect(await outbox.read('FABRIKAM', webhookDelivery().id)).toBeUndefined();
    expect(await outbox.add({ ...delivery, channelId: 'CONTOSO' })).toBe(true);
  });

  test('due: Pending deliveries of that channel due at or before now, earliest nextAttemptAt first, at most limit', async () => {
    const due = [at(3), at(1), at(2)].map((when) => webhookDelivery('FABRIKAM', at(0), { nextAttemptAt: when }));
    const notDue = webhookDelivery('FABRIKAM', at(0), { nextAttemptAt: at(6) });
    const done = [
      webhookDelivery('FABRIKAM', at(0), { status: 'Delivered', deliveredAt: at(1), nextAttemptAt: at(0) }),
      webhookDelivery('FABRIKAM', at(0), { status: 'Failed', failedAt: at(1), nextAttemptAt: at(0) }),
    ];
    const otherChannel = webhookDelivery('CONTOSO', at(0), { nextAttemptAt: at(0) });
    for (const d of [...due, notDue, ...done, otherChannel]) await outbox.add(d);

    const found = await outbox.due('FABRIKAM', at(5), 10);
    expect(found.map(({ doc }) => doc.nextAttemptAt)).toEqual([at(1), at(2), at(3)]);
    expect(found[0]).toEqual({ doc: due[1], etag: expect.any(String) });
    expect(ids(await outbox.due('FABRIKAM', at(5), 2))).toEqual(ids(found).slice(0, 2));
    expect(ids(await outbox.due('FABRIKAM', at(2), 10))).toEqual(ids(found).slice(0, 2));
    expect(ids(await outbox.due('FABRIKAM', at(6), 10))).toEqual([...ids(found), notDue.id]);
    expect(ids(await outbox.due('CONTOSO', at(5), 10))).toEqual([otherChannel.id]);
    expect(await outbox.due('NOSUCH', at(5), 10)).toEqual([]);
  });

  test('replace needs the current ETag: a second claim with the old one fails with StaleVersionError; a missing record is not a conflict', async () => {
    const delivery = webhookDelivery();
    await outbox.add(delivery);
    const [{ etag }] = await outbox.due('FABRIKAM', at(0), 1);
    const claimed = { ...delivery, attempts: 1, lastAttemptAt: at(1), nextAttemptAt: at(2) };
    const next = await outbox.replace(claimed, etag);
    expect(next).not.toBe(etag);
    await expect(outbox.replace({ ...delivery, attempts: 1, nextAttemptAt: at(3) }, etag)).rejects.toBeInstanceOf(StaleVersionError);
    expect(await outbox.read('FABRIKAM', delivery.id)).toEqual({ doc: claimed, etag: next });
    expect(await outbox.due('FABRIKAM', at(1), 10)).toEqual([]);
    await expectMissingRecordError(outbox.replace(webhookDelivery(), etag));
  });

  test('a delivered or given-up record reads back as it was written (retention is storage detail) and is never due again', async () => {
    const delivery = webhookDelivery();
    await outbox.add(delivery);
    const { etag } = (await outbox.read('FABRIKAM', delivery.id))!;
    const delivered: WebhookDelivery = { ...delivery, status: 'Delivered', attempts: 1, lastStatus: 204, deliveredAt: at(1), lastAttemptAt: at(1) };
    await outbox.replace(delivered, etag);
    expect((await outbox.read('FABRIKAM', delivery.id))?.doc).toEqual(delivered);
    expect(await outbox.due('FABRIKAM', at(60), 10)).toEqual([]);
    const failed = webhookDelivery('FABRIKAM', at(0));
    await outbox.add(failed);
    const given = { ...failed, status: 'Failed' as const, attempts: 1, lastStatus: 410, lastError: 'HTTP 410', failedAt: at(1) };
    await outbox.replace(given, (await outbox.read('FABRIKAM', failed.id))!.etag);
    expect((await outbox.due('FABRIKAM', at(60), 10)).length).toBe(0);
    expect((await outbox.summary('FABRIKAM', at(0))).oldestPending).toBeUndefined();
    expect((await outbox.read('FABRIKAM', failed.id))?.doc).toEqual(given);
  });

  test('summary per channel: pending, retrying, failed, delivered since, and the oldest pending', async () => {
    const records = [
      webhookDelivery('FABRIKAM', at(4)),
      webhookDelivery('FABRIKAM', at(2), { attempts: 3, lastError: 'HTTP 503', lastStatus: 503 }),
      webhookDelivery('FABRIKAM', at(3), { attempts: 1, lastError: 'connection refused' }),
      webhookDelivery('FABRIKAM', at(0), { status: 'Delivered', attempts: 1, deliveredAt: at(10) }),
      webhookDelivery('FABRIKAM', at(0), { status: 'Delivered', attempts: 1, deliveredAt: at(20) }),
      webhookDelivery('FABRIKAM', at(0), { status: 'Failed', attempts: 1, failedAt: at(5), lastError: 'HTTP 404', lastStatus: 404 }),
      webhookDelivery('CONTOSO', at(1)),
    ];
    for (const d of records) await outbox.add(d);
    expect(await outbox.summary('FABRIKAM', at(15))).toEqual({ pending: 3, retrying: 2, failed: 1, deliveredSince: 1, oldestPending: records[1] });
    expect((await outbox.summary('FABRIKAM', at(10))).deliveredSince).toBe(2);
    expect(await outbox.summary('CONTOSO', at(0))).toEqual({ pending: 1, retrying: 0, failed: 0, deliveredSince: 0, oldestPending: records[6] });
    expect(await outbox.summary('NOSUCH', at(0))).toEqual({ pending: 0, retrying: 0, failed: 0, deliveredSince: 0, oldestPending: undefined });
  });
}

describe('MemoryWebhookOutbox', () => {
  webhookOutboxContract(async () => new MemoryWebhookOutbox());
});

describe('CosmosWebhookOutbox on the Cosmos DB server', () => {
  const container = useCosmosContainers();
  webhookOutboxContract(async () => new CosmosWebhookOutbox(await container('hqWebhookOutbox')));

  test('Cosmos keeps a delivered record a week and a given-up one a month (document ttl), a pending one until it is over', async () => {
    const raw = await container('hqWebhookOutbox');
    const outbox = new CosmosWebhookOutbox(raw);
    const ttlOf = async (d: WebhookDelivery) => (await raw.item(d.id, d.channelId).read<{ ttl?: number }>()).resource?.ttl;
    const [delivered, failed] = [webhookDelivery(), webhookDelivery()];
    for (const d of [delivered, failed]) await outbox.add(d);
    expect(await ttlOf(delivered)).toBeUndefined();
    await outbox.replace({ ...delivered, status: 'Delivered', deliveredAt: at(1) }, (await outbox.read('FABRIKAM', delivered.id))!.etag);
    await outbox.replace({ ...failed, status: 'Failed', failedAt: at(1) }, (await outbox.read('FABRIKAM', failed.id))!.etag);
    expect(await ttlOf(delivered)).toBe(WEBHOOK_RETENTION_SECONDS.Delivered);
    expect(await ttlOf(failed)).toBe(WEBHOOK_RETENTION_SECONDS.Failed);
    expect((await raw.read()).resource?.defaultTtl).toBe(-1);
  });
});
