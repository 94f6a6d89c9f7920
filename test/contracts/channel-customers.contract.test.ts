/**
 * The ChannelCustomers contract, run against the memory adapter and the Cosmos adapter on the
 * Cosmos DB server: what the core relies on when it creates, edits, distributes and reconciles.
 */
import { CosmosChannelCustomers } from '../../shared/adapters/cosmos/channel-customers';
import { MemoryChannelCustomers } from '../../shared/adapters/memory';
import type { ChannelCustomers } from '../../shared/core/ports/channel-customers';
import { StaleVersionError } from '../../shared/core/ports/errors';
import { expectMissingRecordError } from './expectations';
import { at, channelCustomer, operationRecord } from './records';
import { useCosmosContainers } from './real-adapters';

export function channelCustomersContract(make: () => Promise<ChannelCustomers>): void {
  let channel: ChannelCustomers;
  beforeEach(async () => {
    channel = await make();
  });

  test('create stores a copy; a second create of the same id is refused with false; a missing id reads as undefined', async () => {
    const customer = channelCustomer();
    expect(await channel.create(customer)).toBe(true);
    const { firstName } = customer;
    customer.firstName = 'changed after create';
    const read = await channel.read(customer.id);
    expect(read?.doc).toEqual({ ...customer, firstName });
    expect(read?.etag).toEqual(expect.any(String));
    read!.doc.operations = {};
    expect(Object.keys((await channel.read(customer.id))!.doc.operations)).toHaveLength(1);

    expect(await channel.create({ ...customer, firstName: 'Second' })).toBe(false);
    expect((await channel.read(customer.id))?.doc.firstName).toBe(firstName);
    expect(await channel.read(channelCustomer().id)).toBeUndefined();
  });

  test('replace needs the current ETag: it returns a new one, and the old one is stale (StaleVersionError)', async () => {
    const customer = channelCustomer();
    await channel.create(customer);
    const { etag } = (await channel.read(customer.id))!;
    const replaced = await channel.replace({ ...customer, firstName: 'Grace' }, etag);
    expect(replaced.doc.firstName).toBe('Grace');
    expect(replaced.etag).not.toBe(etag);
    expect((await channel.read(customer.id))?.etag).toBe(replaced.etag);

    await expect(channel.replace({ ...customer, firstName: 'Lost' }, etag)).rejects.toBeInstanceOf(StaleVersionError);
    await expect(channel.replace({ ...customer, firstName: 'Lost' }, 'not-an-etag')).rejects.toBeInstanceOf(StaleVersionError);
    expect((await channel.read(customer.id))?.doc.firstName).toBe('Grace');
  });

  test('replace of a customer that is not there fails, and not as a write conflict', async () => {
    await expectMissingRecordError(channel.replace(channelCustomer(), 'any-etag'));
  });

  test('recordDistribution patches the account number, the counter and the given operations without an ETag, and changes the ETag', async () => {
    const customer = channelCustomer();
    const [kept] = Object.values(customer.operations);
    await channel.create(customer);
    const before = (await channel.read(customer.id))!;

    // More operations than one Cosmos patch request takes (10).
    const records = Array.from({ length: 11 }, (_, i) => operationRecord({ replicationCounter: i + 2, status: 'Completed', completedAt: at(5) }));
    await channel.recordDistribution(customer.id, { accountNumber: 'C000000042', appliedCounter: 12 }, records);
    const after = (await channel.read(customer.id))!;
    expect(after.etag).not.toBe(before.etag);
    expect(after.doc).toMatchObject({ accountNumber: 'C000000042', hqAppliedCounter: 12, firstName: customer.firstName });
    expect(after.doc.operations).toEqual({ [kept.operationId]: kept, ...Object.fromEntries(records.map((r) => [r.operationId, r])) });

    // Without HQ's answer only the operations change; a later write with the old ETag loses.
    const failed = { ...kept, status: 'Failed' as const, attempts: 1, lastError: 'rejected' };
    await channel.recordDistribution(customer.id, undefined, [failed]);
    const last = (await channel.read(customer.id))!;
    expect(last.doc).toMatchObject({ accountNumber: 'C000000042', hqAppliedCounter: 12 });
    expect(last.doc.operations[kept.operationId]).toEqual(failed);
    expect(last.etag).not.toBe(after.etag);
    await expect(channel.replace(after.doc, after.etag)).rejects.toBeInstanceOf(StaleVersionError);
  });

  test('recordDistribution to a customer that is not there fails (not as a conflict), unless there is nothing to write', async () => {
    await expectMissingRecordError(channel.recordDistribution(channelCustomer().id, { accountNumber: 'C1', appliedCounter: 1 }, []));
    await expect(channel.recordDistribution(channelCustomer().id, undefined, [])).resolves.toBeUndefined();
  });

  test('findByAccountNumber finds the channel customer with that account, with an ETag to replace it', async () => {
    const synced = channelCustomer({ accountNumber: 'C000000007', hqAppliedCounter: 1 });
    await channel.create(synced);
    await channel.create(channelCustomer({ accountNumber: 'C000000007', channelId: 'CONTOSO' }));
    const found = await channel.findByAccountNumber('FABRIKAM', 'C000000007');
    expect(found?.doc).toEqual(synced);
    expect(await channel.findByAccountNumber('FABRIKAM', 'C000000008')).toBeUndefined();
    await expect(channel.replace({ ...synced, lastName: 'Byron' }, found!.etag)).resolves.toMatchObject({ doc: { lastName: 'Byron' } });
  });

  test('count counts every customer, or with synced only those that have an account number', async () => {
    expect(await channel.count()).toBe(0);
    await channel.create(channelCustomer());
    await channel.create(channelCustomer({ accountNumber: 'C000000001' }));
    await channel.create(channelCustomer({ accountNumber: 'C000000002' }));
    expect(await channel.count()).toBe(3);
    expect(await channel.count({ synced: true })).toBe(2);
    expect(await channel.count({ synced: false })).toBe(3);
  });

  test('unreconciled: outstanding, untouched since the cutoff, not reconciled at the current counter; at most limit', async () => {
    const candidate = channelCustomer({ updatedAt: at(1) });
    const others = [
      channelCustomer({ updatedAt: at(1), hqAppliedCounter: 1 }), // HQ is not behind
      channelCustomer({ updatedAt: at(10) }), // touched after the cutoff
      channelCustomer({ updatedAt: at(1), reconciledCounter: 1 }), // reconciled at its counter
    ];
    const behindItsReconciliation = channelCustomer({ updatedAt: at(2), replicationCounter: 2, reconciledCounter: 1 });
    for (const c of [candidate, ...others, behindItsReconciliation]) await channel.create(c);

    const found = await channel.unreconciled(at(5), 10);
    expect(found.map((c) => c.id).sort()).toEqual([candidate.id, behindItsReconciliation.id].sort());
    expect(found.find((c) => c.id === candidate.id)).toEqual(candidate);
    expect(await channel.unreconciled(at(5), 1)).toHaveLength(1);
    expect(await channel.unreconciled(at(1), 10)).toEqual([]);
  });

  test('markReconciled patches reconciledCounter without an ETag and changes the ETag; the customer leaves unreconciled', async () => {
    const customer = channelCustomer({ updatedAt: at(1) });
    await channel.create(customer);
    const before = (await channel.read(customer.id))!;
    await channel.markReconciled(customer.id, 1);
    const after = (await channel.read(customer.id))!;
    expect(after.doc).toEqual({ ...customer, reconciledCounter: 1 });
    expect(after.etag).not.toBe(before.etag);
    expect(await channel.unreconciled(at(5), 10)).toEqual([]);
    await expectMissingRecordError(channel.markReconciled(channelCustomer().id, 1));
  });
}

describe('MemoryChannelCustomers', () => {
  channelCustomersContract(async () => new MemoryChannelCustomers());
});

describe('CosmosChannelCustomers on the Cosmos DB server', () => {
  const container = useCosmosContainers();
  channelCustomersContract(async () => new CosmosChannelCustomers(await container('channelCustomers')));
});
