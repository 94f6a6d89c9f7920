/** The NumberSequences contract on memory and on the Cosmos DB server: two reservers never get the same number. */
import { CosmosNumberSequences } from '../../shared/adapters/cosmos/number-sequences';
import { MemoryNumberSequences } from '../../shared/adapters/memory';
import { AlreadyExistsError, StaleVersionError } from '../../shared/core/ports/errors';
import type { NumberSequences } from '../../shared/core/ports/number-sequences';
import { expectMissingRecordError } from './expectations';
import { useCosmosContainers } from './real-adapters';

export function numberSequencesContract(make: () => Promise<NumberSequences>): void {
  let sequences: NumberSequences;
  beforeEach(async () => {
    sequences = await make();
  });

  test('a sequence nobody created reads as undefined; create makes it readable', async () => {
    expect(await sequences.read('customerAccount')).toBeUndefined();
    await sequences.create({ id: 'customerAccount', next: 2 });
    expect(await sequences.read('customerAccount')).toEqual({ doc: { id: 'customerAccount', next: 2 }, etag: expect.any(String) });
  });

  test('the second of two creates throws AlreadyExistsError and leaves the first', async () => {
    await sequences.create({ id: 'customerAccount', next: 2 });
    await expect(sequences.create({ id: 'customerAccount', next: 5 })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect((await sequences.read('customerAccount'))?.doc.next).toBe(2);
  });

  test('of two reservations from the same read, the second throws StaleVersionError; a fresh read succeeds', async () => {
    await sequences.create({ id: 'customerAccount', next: 1 });
    const first = (await sequences.read('customerAccount'))!;
    const second = (await sequences.read('customerAccount'))!;
    await sequences.replace({ id: 'customerAccount', next: 2 }, first.etag);
    await expect(sequences.replace({ id: 'customerAccount', next: 2 }, second.etag)).rejects.toBeInstanceOf(StaleVersionError);
    const fresh = (await sequences.read('customerAccount'))!;
    expect(fresh.doc.next).toBe(2);
    expect(fresh.etag).not.toBe(first.etag);
    await sequences.replace({ id: 'customerAccount', next: 3 }, fresh.etag);
    expect((await sequences.read('customerAccount'))?.doc.next).toBe(3);
  });

  test('replace of a sequence that is not there fails, and not as a write conflict', async () => {
    await expectMissingRecordError(sequences.replace({ id: 'nowhere', next: 2 }, 'any-etag'));
  });
}

describe('MemoryNumberSequences', () => {
  numberSequencesContract(async () => new MemoryNumberSequences());
});

describe('CosmosNumberSequences on the Cosmos DB server', () => {
  const container = useCosmosContainers();
  numberSequencesContract(async () => new CosmosNumberSequences(await container('hqNumberSequences')));
});
