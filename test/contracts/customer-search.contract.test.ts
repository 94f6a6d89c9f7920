/**
 * The CustomerSearch contract, run against the memory adapter (a filter over the memory channel
 * container's documents) and the Cosmos adapter on the Cosmos DB server (a query on the search
 * keys the Cosmos ChannelCustomers adapter stores with each customer): the same customers found
 * for the same criteria, in the same order, pages included. Customers are written through the
 * ChannelCustomers adapter of the same technology, as the app writes them.
 */
import { randomUUID } from 'node:crypto';
import { CosmosChannelCustomers } from '../../shared/adapters/cosmos/channel-customers';
import { CosmosCustomerSearch } from '../../shared/adapters/cosmos/customer-search';
import { MemoryChannelCustomers, MemoryCustomerSearch } from '../../shared/adapters/memory';
import type { ChannelCustomer } from '../../shared/core/domain/channel-customer';
import type { CustomerSearchCriteria } from '../../shared/core/domain/customer-search';
import type { ChannelCustomers } from '../../shared/core/ports/channel-customers';
import type { CustomerSearch } from '../../shared/core/ports/customer-search';
import { channelCustomer } from './records';
import { useCosmosContainers } from './real-adapters';

interface Stores {
  channel: ChannelCustomers;
  search: CustomerSearch;
}

/** Ids sort as strings: these are in ascending order, so paging is easy to read. */
const orderedIds = (n: number) => Array.from({ length: n }, () => randomUUID()).sort();

function person(overrides: Partial<ChannelCustomer>): ChannelCustomer {
  return channelCustomer({ firstName: 'Ann', lastName: 'Lee', email: 'ann.lee@example.com', ...overrides });
}

export function customerSearchContract(make: () => Promise<Stores>): void {
  let stores: Stores;
  beforeEach(async () => {
    stores = await make();
  });
  const find = async (criteria: CustomerSearchCriteria, channelId = 'FABRIKAM', page: { after?: string; limit: number } = { limit: 50 }) =>
    (await stores.search.search(channelId, criteria, page)).map((c) => c.id);

  test("email: the customer's or an Email contact's, compared lower-cased; never a part of one", async () => {
    const ann = person({ email: 'Ann.Lee@Example.com' });
    const other = person({
      email: 'someone@example.com',
      contacts: [{ contactId: randomUUID(), type: 'Email', value: 'ANN.LEE@example.com', isPrimary: false }],
    });
    await stores.channel.create(ann);
    await stores.channel.create(other);
    expect(await find({ email: 'ann.lee@example.com' })).toEqual([ann.id, other.id].sort());
    expect(await find({ email: 'someone@example.com' })).toEqual([other.id]);
    expect(await find({ email: 'ann.lee@example.co' })).toEqual([]);
  });

  test('phone: by its digits, whatever the formatting stored; contacts too', async () => {
    const ann = person({ phone: '+1 (555) 010-7788' });
    const bob = person({ phone: '+15550100000', contacts: [{ contactId: randomUUID(), type: 'Phone', value: '555.010.9999', isPrimary: false }] });
    await stores.channel.create(ann);
    await stores.channel.create(bob);
    expect(await find({ phone: '15550107788' })).toEqual([ann.id]);
    expect(await find({ phone: '5550109999' })).toEqual([bob.id]);
    expect(await find({ phone: '555010' })).toEqual([]);
  });

  test('name: each word a prefix of the first, last or organization name (or one of their words)', async () => {
    const ann = person({ firstName: 'Ann', lastName: 'Lee' });
    const anna = person({ firstName: 'Anna', lastName: 'van der Berg' });
    const org = person({ firstName: 'Pat', lastName: 'Kim', customerType: 'Organization', organizationName: 'Contoso Pharmaceuticals' });
    for (const c of [ann, anna, org]) await stores.channel.create(c);
    expect(await find({ nameWords: ['ann'] })).toEqual([ann.id, anna.id].sort());
    expect(await find({ nameWords: ['ann', 'le'] })).toEqual([ann.id]);
    expect(await find({ nameWords: ['berg'] })).toEqual([anna.id]);
    expect(await find({ nameWords: ['van der'] })).toEqual([anna.id]);
    expect(await find({ nameWords: ['pharma'] })).toEqual([org.id]);
    expect(await find({ nameWords: ['nn'] })).toEqual([]);
  });

  test('account number: the HQ account exactly, or the custAccountAsync of a customer pending sync', async () => {
    const synced = person({ accountNumber: 'C000000042' });
    const pending = person({});
    await stores.channel.create(synced);
    await stores.channel.create(pending);
    expect(await find({ accountNumber: 'C000000042' })).toEqual([synced.id]);
    expect(await find({ accountNumber: 'C00000004' })).toEqual([]);
    expect(await find({ accountNumber: pending.custAccountAsync! })).toEqual([pending.id]);
  });

  test('criteria together must all match', async () => {
    const ann = person({ phone: '+15550107788' });
    const namesake = person({ phone: '+15550100000' });
    await stores.channel.create(ann);
    await stores.channel.create(namesake);
    expect(await find({ nameWords: ['ann'], phone: '15550107788' })).toEqual([ann.id]);
    expect(await find({ email: 'ann.lee@example.com', accountNumber: 'C000000001' })).toEqual([]);
  });

  test("one channel never sees another's customers", async () => {
    const here = person({ channelId: 'FABRIKAM' });
    const there = person({ channelId: 'CONTOSO' });
    await stores.channel.create(here);
    await stores.channel.create(there);
    expect(await find({ email: 'ann.lee@example.com' }, 'FABRIKAM')).toEqual([here.id]);
    expect(await find({ email: 'ann.lee@example.com' }, 'CONTOSO')).toEqual([there.id]);
    expect(await find({ accountNumber: there.custAccountAsync! }, 'FABRIKAM')).toEqual([]);
  });

  test('pages: ascending ids, after the given one, at most the limit', async () => {
    const ids = orderedIds(5);
    for (const id of [...ids].reverse()) await stores.channel.create(person({ id }));
    expect(await find({ nameWords: ['lee'] }, 'FABRIKAM', { limit: 2 })).toEqual(ids.slice(0, 2));
    expect(await find({ nameWords: ['lee'] }, 'FABRIKAM', { after: ids[1], limit: 2 })).toEqual(ids.slice(2, 4));
    expect(await find({ nameWords: ['lee'] }, 'FABRIKAM', { after: ids[3], limit: 2 })).toEqual(ids.slice(4));
  });

  test('found customers read as stored (no search keys in them); edits and distribution are searched at once', async () => {
    const ann = person({});
    await stores.channel.create(ann);
    expect(await stores.search.search('FABRIKAM', { email: 'ann.lee@example.com' }, { limit: 5 })).toEqual([ann]);

    const { etag } = (await stores.channel.read(ann.id))!;
    await stores.channel.replace({ ...ann, email: 'ann@new.example', lastName: 'Long' }, etag);
    expect(await find({ email: 'ann.lee@example.com' })).toEqual([]);
    expect(await find({ email: 'ann@new.example', nameWords: ['long'] })).toEqual([ann.id]);

    await stores.channel.recordDistribution(ann.id, { accountNumber: 'C000000007', appliedCounter: 1 }, []);
    expect(await find({ accountNumber: 'C000000007', email: 'ann@new.example' })).toEqual([ann.id]);
  });
}

describe('MemoryCustomerSearch', () => {
  customerSearchContract(async () => {
    const channel = new MemoryChannelCustomers();
    return { channel, search: new MemoryCustomerSearch(channel.container) };
  });
});

describe('CosmosCustomerSearch on the Cosmos DB server', () => {
  const container = useCosmosContainers();
  customerSearchContract(async () => {
    const customers = await container('channelCustomers');
    return { channel: new CosmosChannelCustomers(customers), search: new CosmosCustomerSearch(customers) };
  });

  test('a customer written before search keys existed is found by its fields once backfilled, and only then', async () => {
    const customers = await container('channelCustomers');
    const channel = new CosmosChannelCustomers(customers);
    const search = new CosmosCustomerSearch(customers);
    const old = person({ accountNumber: 'C000000099' });
    await customers.items.create(old); // as an earlier version wrote it: no searchKeys
    await channel.create(person({ email: 'new@example.com' }));
    expect(await search.search('FABRIKAM', { email: 'ann.lee@example.com' }, { limit: 5 })).toEqual([]);
    // The account number is a field of the customer itself: found without keys.
    expect(await search.search('FABRIKAM', { accountNumber: 'C000000099' }, { limit: 5 })).toEqual([old]);

    expect(await channel.backfillSearchKeys(1)).toBe(1);
    expect(await search.search('FABRIKAM', { email: 'ann.lee@example.com' }, { limit: 5 })).toEqual([old]);
    expect((await channel.read(old.id))?.doc).toEqual(old);
    expect(await channel.backfillSearchKeys()).toBe(0);
  });
});
