/**
 * The Staging contract on memory and on the Cosmos DB server: staging once per operation, the
 * batches a sync pass takes (oldest first, per group, not twice in a run), the patch synchronize
 * writes and the operator's conditional replace.
 */
import { CosmosStaging } from '../../shared/adapters/cosmos/staging';
import { MemoryStaging } from '../../shared/adapters/memory';
import type { StagedOperation } from '../../shared/core/domain/operation';
import { StaleVersionError } from '../../shared/core/ports/errors';
import type { OutstandingQuery, Staging } from '../../shared/core/ports/staging';
import { expectMissingRecordError } from './expectations';
import { at, stagedOperation } from './records';
import { useCosmosContainers } from './real-adapters';

const ids = (ops: StagedOperation[]) => ops.map((op) => op.id);
const sorted = (ops: StagedOperation[]) => ids(ops).sort();

export function stagingContract(make: () => Promise<Staging>): void {
  let staging: Staging;
  beforeEach(async () => {
    staging = await make();
  });

  const query = (overrides: Partial<OutstandingQuery> = {}): OutstandingQuery => ({
    runId: 'run-1',
    group: 0,
    groups: 1,
    limit: 100,
    maxAttempts: 3,
    ...overrides,
  });

  test('stage stores a copy once: a second delivery of the same operation is refused with false', async () => {
    const op = stagedOperation();
    expect(await staging.stage(op)).toBe(true);
    expect(await staging.stage({ ...op, attempts: 9 })).toBe(false);
    const { status } = op;
    op.status = 'Completed';
    const read = await staging.read(op.customerId, op.id);
    expect(read).toEqual({ doc: { ...op, status }, etag: expect.any(String) });
    read!.doc.payload.firstName = 'changed after read';
    expect((await staging.read(op.customerId, op.id))?.doc.payload).toEqual({ firstName: 'Ada' });
  });

  test('read is by customer and operation id: a missing one (or one under another customer) reads as undefined', async () => {
    const op = stagedOperation();
    await staging.stage(op);
    expect(await staging.read(op.customerId, stagedOperation().id)).toBeUndefined();
    expect(await staging.read(stagedOperation().customerId, op.id)).toBeUndefined();
    // The id is unique per customer only, as in a container partitioned by customerId.
    expect(await staging.stage({ ...op, customerId: stagedOperation().customerId })).toBe(true);
  });

  test('find finds an operation by id alone, with an ETag that replace accepts', async () => {
    const op = stagedOperation();
    await staging.stage(op);
    const found = await staging.find(op.id);
    expect(found?.doc).toEqual(op);
    expect(await staging.find(stagedOperation().id)).toBeUndefined();
    await expect(staging.replace({ ...op, payload: { firstName: 'Grace' } }, found!.etag)).resolves.toEqual(expect.any(String));
  });

  test('replace needs the current ETag: it returns a new one, and the old one is stale (StaleVersionError)', async () => {
    const op = stagedOperation();
    await staging.stage(op);
    const { etag } = (await staging.read(op.customerId, op.id))!;
    const next = await staging.replace({ ...op, payload: { firstName: 'Grace' } }, etag);
    expect(next).not.toBe(etag);
    expect((await staging.read(op.customerId, op.id))?.etag).toBe(next);
    await expect(staging.replace({ ...op, payload: { firstName: 'Lost' } }, etag)).rejects.toBeInstanceOf(StaleVersionError);
    expect((await staging.read(op.customerId, op.id))?.doc.payload).toEqual({ firstName: 'Grace' });
    await expectMissingRecordError(staging.replace(stagedOperation(), etag));
  });

  test('update sets the given fields without an ETag and changes the ETag; an operation that is not there fails (not as a conflict)', async () => {
    const op = stagedOperation();
    await staging.stage(op);
    const before = (await staging.read(op.customerId, op.id))!;
    await staging.update(op, { status: 'Failed', attempts: 1, lastError: 'HQ said no', lastRunId: 'run-1' });
    const after = (await staging.read(op.customerId, op.id))!;
    expect(after.doc).toEqual({ ...op, status: 'Failed', attempts: 1, lastError: 'HQ said no', lastRunId: 'run-1' });
    expect(after.etag).not.toBe(before.etag);
    await expect(staging.replace(op, before.etag)).rejects.toBeInstanceOf(StaleVersionError);
    await expectMissingRecordError(staging.update(stagedOperation(), { status: 'Completed' }));
  });

  test('outstanding: Uploaded, or Failed with attempts left and not poison; not Completed; oldest sortKey first; at most limit', async () => {
    const uploaded = [at(3), at(1), at(2)].map((createdAt) => stagedOperation({ createdAt }));
    const retry = stagedOperation({ createdAt: at(4) }, { status: 'Failed', attempts: 2 });
    const skipped = [
      stagedOperation({ createdAt: at(0) }, { status: 'Completed', completedAt: at(5) }),
      stagedOperation({ createdAt: at(0) }, { status: 'Failed', attempts: 3 }),
      stagedOperation({ createdAt: at(0) }, { status: 'Failed', attempts: 0, poison: true }),
    ];
    for (const op of [...uploaded, retry, ...skipped]) await staging.stage(op);

    const found = await staging.outstanding(query());
    expect(found.map((op) => op.createdAt)).toEqual([at(1), at(2), at(3), at(4)]);
    expect(found[3]).toEqual(retry);
    expect(ids(await staging.outstanding(query({ limit: 2 })))).toEqual(ids(found.slice(0, 2)));
    expect(ids(await staging.outstanding(query({ maxAttempts: 2 })))).toEqual(ids(found.slice(0, 3)));
  });

  test('outstanding skips what this run already looked at, and splits customers into groups by shard', async () => {
    const seen = stagedOperation({ createdAt: at(1) }, { lastRunId: 'run-1' });
    const earlierRun = stagedOperation({ createdAt: at(2) }, { lastRunId: 'run-0' });
    const fresh = stagedOperation({ createdAt: at(3) });
    for (const op of [seen, earlierRun, fresh]) await staging.stage(op);
    expect(ids(await staging.outstanding(query({ runId: 'run-1' })))).toEqual([earlierRun.id, fresh.id]);
    expect(ids(await staging.outstanding(query({ runId: 'run-2' })))).toEqual([seen.id, earlierRun.id, fresh.id]);

    const byShard = [4, 5, 6, 7, 9].map((shard, i) => stagedOperation({ createdAt: at(10 + i) }, { shard }));
    for (const op of byShard) await staging.stage(op);
    const mine = new Set(ids(byShard));
    const group = async (g: number) => (await staging.outstanding(query({ runId: 'run-3', groups: 4, group: g }))).filter((op) => mine.has(op.id));
    expect((await group(0)).map((op) => op.shard)).toEqual([4]);
    expect((await group(1)).map((op) => op.shard)).toEqual([5, 9]);
    expect((await group(2)).map((op) => op.shard)).toEqual([6]);
    expect((await group(3)).map((op) => op.shard)).toEqual([7]);
  });

  test('outstandingForCustomer: every operation of that customer that is not Completed, poison rows excluded', async () => {
    const customerId = stagedOperation().customerId;
    const open = [
      stagedOperation({ customerId, replicationCounter: 2 }),
      stagedOperation({ customerId, replicationCounter: 3 }, { status: 'Failed', attempts: 9 }),
    ];
    const closed = [
      stagedOperation({ customerId, replicationCounter: 1 }, { status: 'Completed' }),
      stagedOperation({ customerId }, { status: 'Failed', poison: true }),
      stagedOperation(), // another customer
    ];
    for (const op of [...open, ...closed]) await staging.stage(op);
    const found = await staging.outstandingForCustomer(customerId);
    expect(sorted(found)).toEqual(sorted(open));
    expect(found.find((op) => op.id === open[1].id)).toEqual(open[1]);
    expect(await staging.outstandingForCustomer(stagedOperation().customerId)).toEqual([]);
  });
}

describe('MemoryStaging', () => {
  stagingContract(async () => new MemoryStaging());
});

describe('CosmosStaging on the Cosmos DB server', () => {
  const container = useCosmosContainers();
  stagingContract(async () => new CosmosStaging(await container('hqOperations')));
});
