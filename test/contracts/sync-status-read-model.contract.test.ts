/**
 * The SyncStatusReadModel contract on memory and on the Cosmos DB server: the queries behind the
 * operators' list (filters, newest first, paging), the detail lookups and the metrics, over what
 * Staging and ChannelCustomers wrote.
 */
import { CosmosChannelCustomers } from '../../shared/adapters/cosmos/channel-customers';
import { CosmosStaging } from '../../shared/adapters/cosmos/staging';
import { CosmosSyncStatusReadModel } from '../../shared/adapters/cosmos/sync-status-read-model';
import { memoryPorts } from '../../shared/adapters/memory';
import type { ChannelCustomers } from '../../shared/core/ports/channel-customers';
import type { Staging } from '../../shared/core/ports/staging';
import type { OutstandingCustomer, SyncStatusFilter, SyncStatusReadModel } from '../../shared/core/ports/sync-status-read-model';
import { at, channelCustomer, operationRecord, stagedOperation } from './records';
import { useCosmosContainers } from './real-adapters';

interface Stores {
  readModel: SyncStatusReadModel;
  staging: Staging;
  channel: ChannelCustomers;
}

async function pagesOf(iterable: AsyncIterable<OutstandingCustomer[]>): Promise<OutstandingCustomer[][]> {
  const pages: OutstandingCustomer[][] = [];
  for await (const page of iterable) pages.push(page);
  return pages;
}

export function syncStatusReadModelContract(make: () => Promise<Stores>): void {
  let readModel: SyncStatusReadModel;
  let staging: Staging;
  let channel: ChannelCustomers;
  beforeEach(async () => {
    ({ readModel, staging, channel } = await make());
  });

  const stagedIds = async (filter: SyncStatusFilter, page: { before?: string; top: number } = { top: 50 }) =>
    (await readModel.stagedOperations(filter, page)).map((op) => op.id);
  const outstandingIds = async (filter: SyncStatusFilter, options?: { createdAtOrBefore?: string }) =>
    (await pagesOf(readModel.outstandingCustomers(filter, options))).flat().map((c) => c.id);

  test('stagedOperations: newest sortKey first, at most top, pages on below `before`, from `since`; Pending matches none', async () => {
    const ops = [1, 2, 3, 4, 5].map((minute) => stagedOperation({ createdAt: at(minute) }));
    for (const op of ops) await staging.stage(op);
    const [o1, o2, o3, o4, o5] = ops.map((op) => op.id);
    expect(await stagedIds({})).toEqual([o5, o4, o3, o2, o1]);
    expect(await readModel.stagedOperations({}, { top: 1 })).toEqual([expect.objectContaining(ops[4])]);
    expect(await stagedIds({}, { top: 2 })).toEqual([o5, o4]);
    expect(await stagedIds({}, { top: 2, before: ops[3].sortKey })).toEqual([o3, o2]);
    expect(await stagedIds({ since: at(3) })).toEqual([o5, o4, o3]);
    expect(await stagedIds({ status: 'Pending' })).toEqual([]);
  });

  test('stagedOperations filters by status, channel, entity and custAccountAsync (in any case)', async () => {
    const account = stagedOperation().custAccountAsync!;
    const a = stagedOperation({ createdAt: at(1), custAccountAsync: account });
    const b = stagedOperation({ createdAt: at(2), channelId: 'CONTOSO', entity: 'Address' }, { status: 'Completed' });
    const c = stagedOperation({ createdAt: at(3) }, { status: 'Failed', attempts: 1 });
    for (const op of [a, b, c]) await staging.stage(op);
    expect(await stagedIds({ status: 'Completed' })).toEqual([b.id]);
    expect(await stagedIds({ status: 'Failed' })).toEqual([c.id]);
    expect(await stagedIds({ channelId: 'FABRIKAM' })).toEqual([c.id, a.id]);
    expect(await stagedIds({ entity: 'Address' })).toEqual([b.id]);
    expect(await stagedIds({ custAccountAsync: account.toUpperCase() })).toEqual([a.id]);
    expect(await stagedIds({ channelId: 'CONTOSO', status: 'Uploaded' })).toEqual([]);
  });

  test("stagedOperations by email: the row's email in any case, or the rows of channel customers with that email now", async () => {
    const changedEmail = channelCustomer({ email: 'ADA@example.com' });
    await channel.create(changedEmail);
    await channel.create(channelCustomer({ email: 'someone@example.com' }));
    const direct = stagedOperation({ createdAt: at(1), email: 'Ada@Example.COM' });
    const viaCustomer = stagedOperation({ createdAt: at(2), customerId: changedEmail.id, email: 'old@example.com' });
    const other = stagedOperation({ createdAt: at(3), email: 'someone@example.com' });
    const noEmail = stagedOperation({ createdAt: at(4), email: null });
    for (const op of [direct, viaCustomer, other, noEmail]) await staging.stage(op);
    expect(await stagedIds({ email: 'ada@example.com' })).toEqual([viaCustomer.id, direct.id]);
  });

  test("stagedOperations by customerAccount: the row's account, or the rows of the channel customer that has it now", async () => {
    const synced = channelCustomer({ accountNumber: 'C000000001', hqAppliedCounter: 1 });
    await channel.create(synced);
    const direct = stagedOperation({ createdAt: at(1), customerAccount: 'C000000001' });
    const viaCustomer = stagedOperation({ createdAt: at(2), customerId: synced.id, customerAccount: null });
    const other = stagedOperation({ createdAt: at(3), customerAccount: 'C000000002' });
    for (const op of [direct, viaCustomer, other]) await staging.stage(op);
    expect(await stagedIds({ customerAccount: 'C000000001' })).toEqual([viaCustomer.id, direct.id]);
  });

  test('outstandingCustomers: customers HQ is behind on, newest updatedAt first, with the list fields only', async () => {
    const older = channelCustomer({ updatedAt: at(1) });
    const newer = channelCustomer({ updatedAt: at(3) });
    const upToDate = channelCustomer({ updatedAt: at(2), hqAppliedCounter: 1, accountNumber: 'C000000001' });
    for (const c of [older, newer, upToDate]) await channel.create(c);
    const pages = await pagesOf(readModel.outstandingCustomers({}));
    expect(pages).toHaveLength(1);
    expect(pages[0].map((c) => c.id)).toEqual([newer.id, older.id]);
    const { id, channelId, custAccountAsync, accountNumber, email, createdAt, updatedAt, operations } = older;
    expect(pages[0][1]).toEqual({ id, channelId, custAccountAsync, accountNumber, email, createdAt, updatedAt, operations });
  });

  test('outstandingCustomers filters by channel, email (any case), account, custAccountAsync (any case), since and createdAtOrBefore', async () => {
    const a = channelCustomer({
      createdAt: at(1),
      updatedAt: at(5),
      email: 'Ada@Example.com',
      accountNumber: 'C000000001',
      replicationCounter: 2,
      hqAppliedCounter: 1,
    });
    const b = channelCustomer({ createdAt: at(2), updatedAt: at(3), channelId: 'CONTOSO', email: 'bob@example.com' });
    const c = channelCustomer({ createdAt: at(3), updatedAt: at(4), email: 'carol@example.com' });
    for (const customer of [a, b, c]) await channel.create(customer);
    expect(await outstandingIds({ channelId: 'FABRIKAM' })).toEqual([a.id, c.id]);
    expect(await outstandingIds({ email: 'ada@example.com' })).toEqual([a.id]);
    expect(await outstandingIds({ customerAccount: 'C000000001' })).toEqual([a.id]);
    expect(await outstandingIds({ custAccountAsync: c.custAccountAsync!.toUpperCase() })).toEqual([c.id]);
    expect(await outstandingIds({ since: at(4) })).toEqual([a.id, c.id]);
    expect(await outstandingIds({}, { createdAtOrBefore: at(2) })).toEqual([a.id, b.id]);
    expect(await outstandingIds({ channelId: 'CONTOSO', since: at(4) })).toEqual([]);
  });

  test('outstandingCustomers comes in pages of at most 100, newest updatedAt first across pages', async () => {
    const customers = Array.from({ length: 105 }, (_, i) => channelCustomer({ updatedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString() }));
    for (let i = 0; i < customers.length; i += 15) await Promise.all(customers.slice(i, i + 15).map((c) => channel.create(c)));
    const pages = await pagesOf(readModel.outstandingCustomers({}));
    expect(pages.map((page) => page.length)).toEqual([100, 5]);
    expect(pages.flat().map((c) => c.id)).toEqual(customers.map((c) => c.id).reverse());
  });

  test('stagedIds, accountNumbers and customerWithOperation answer for the ids asked about only', async () => {
    const staged = stagedOperation();
    await staging.stage(staged);
    const synced = channelCustomer({ accountNumber: 'C000000009', hqAppliedCounter: 1 });
    const pending = channelCustomer();
    for (const c of [synced, pending]) await channel.create(c);

    expect(await readModel.stagedIds([staged.id, stagedOperation().id])).toEqual(new Set([staged.id]));
    expect(await readModel.stagedIds([])).toEqual(new Set());
    expect(await readModel.accountNumbers([synced.id, pending.id, channelCustomer().id])).toEqual(
      new Map([
        [synced.id, 'C000000009'],
        [pending.id, null],
      ]),
    );
    const [operationId] = Object.keys(pending.operations);
    expect(await readModel.customerWithOperation(operationId)).toEqual(expect.objectContaining(pending));
    expect(await readModel.customerWithOperation(operationRecord().operationId)).toBeUndefined();
    expect(await readModel.customerWithOperation('toString')).toBeUndefined();
  });

  test('stagingCounts: per status, waiting for an operator (out of attempts, or poison), poison, the oldest Uploaded', async () => {
    expect(await readModel.stagingCounts(3)).toEqual({ uploaded: 0, completed: 0, failed: 0, waitingForOperator: 0, poison: 0, oldestUploaded: undefined });
    const ops = [
      stagedOperation({ createdAt: at(4) }),
      stagedOperation({ createdAt: at(2) }),
      stagedOperation({ createdAt: at(1) }, { status: 'Completed' }),
      stagedOperation({ createdAt: at(1) }, { status: 'Failed', attempts: 1 }),
      stagedOperation({ createdAt: at(1) }, { status: 'Failed', attempts: 3 }),
      stagedOperation({ createdAt: at(1) }, { status: 'Failed', attempts: 0, poison: true }),
    ];
    for (const op of ops) await staging.stage(op);
    expect(await readModel.stagingCounts(3)).toEqual({ uploaded: 2, completed: 1, failed: 3, waitingForOperator: 2, poison: 1, oldestUploaded: at(2) });
    expect((await readModel.stagingCounts(1)).waitingForOperator).toBe(3);
  });
}

describe('MemorySyncStatusReadModel', () => {
  syncStatusReadModelContract(async () => {
    const ports = memoryPorts();
    return { readModel: ports.syncStatusReadModel, staging: ports.staging, channel: ports.channel };
  });
});

describe('CosmosSyncStatusReadModel on the Cosmos DB server', () => {
  const container = useCosmosContainers();
  syncStatusReadModelContract(async () => {
    const [operations, customers] = await Promise.all([container('hqOperations'), container('channelCustomers')]);
    return {
      readModel: new CosmosSyncStatusReadModel(operations, customers),
      staging: new CosmosStaging(operations),
      channel: new CosmosChannelCustomers(customers),
    };
  });
});
