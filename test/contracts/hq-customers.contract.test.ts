/** The HqCustomers contract on memory and on the Cosmos DB server: HQ's master record, written with optimistic concurrency. */
import { CosmosHqCustomers } from '../../shared/adapters/cosmos/hq-customers';
import { MemoryHqCustomers } from '../../shared/adapters/memory';
import { AlreadyExistsError, StaleVersionError } from '../../shared/core/ports/errors';
import type { HqCustomers } from '../../shared/core/ports/hq-customers';
import { expectMissingRecordError } from './expectations';
import { hqCustomer } from './records';
import { useCosmosContainers } from './real-adapters';

export function hqCustomersContract(make: () => Promise<HqCustomers>): void {
  let hq: HqCustomers;
  beforeEach(async () => {
    hq = await make();
  });

  test('create returns and stores a copy; a missing customer reads as undefined', async () => {
    const customer = hqCustomer();
    const created = await hq.create(customer);
    expect(created).toEqual(customer);
    created.firstName = 'changed after create';
    customer.lastName = 'changed after create';
    const read = await hq.read(customer.id);
    expect(read?.doc).toEqual({ ...customer, lastName: 'Lovelace' });
    expect(read?.etag).toEqual(expect.any(String));
    expect(await hq.read(hqCustomer().id)).toBeUndefined();
  });

  test('a second create of the same id throws AlreadyExistsError and changes nothing', async () => {
    const customer = hqCustomer();
    await hq.create(customer);
    const { etag } = (await hq.read(customer.id))!;
    await expect(hq.create({ ...customer, accountNumber: 'C000000002' })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(await hq.read(customer.id)).toEqual({ doc: customer, etag });
  });

  test('replace with the current ETag writes and changes the ETag; with a stale one it throws StaleVersionError', async () => {
    const customer = hqCustomer();
    await hq.create(customer);
    const { etag } = (await hq.read(customer.id))!;
    expect(await hq.replace({ ...customer, appliedCounter: 2 }, etag)).toEqual({ ...customer, appliedCounter: 2 });
    const after = (await hq.read(customer.id))!;
    expect(after.doc.appliedCounter).toBe(2);
    expect(after.etag).not.toBe(etag);
    await expect(hq.replace({ ...customer, appliedCounter: 3 }, etag)).rejects.toBeInstanceOf(StaleVersionError);
    expect((await hq.read(customer.id))?.doc.appliedCounter).toBe(2);
  });

  test('replace of a customer that is not there fails, and not as a write conflict', async () => {
    await expectMissingRecordError(hq.replace(hqCustomer(), 'any-etag'));
  });
}

describe('MemoryHqCustomers', () => {
  hqCustomersContract(async () => new MemoryHqCustomers());
});

describe('CosmosHqCustomers on the Cosmos DB server', () => {
  const container = useCosmosContainers();
  hqCustomersContract(async () => new CosmosHqCustomers(await container('hqCustomers')));
});
