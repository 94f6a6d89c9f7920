/**
 * The emulator patches in patches/ (applied by patch-package at `npm install`/`npm ci`; why, and
 * what each changes: docs/performance.md). For each: it is in the copy the emulators run, and the
 * emulator still behaves as before, checked against the real emulators on free ports.
 *
 * - azurite+3.37.0.patch: Azurite's queue store no longer scans every stored message, and no
 *   longer re-sorts every index, on each receive and delete; its garbage collector no longer
 *   re-sorts the extent index per extent it deletes. Messages still expire.
 * - @zeit+cosmosdb-query+0.7.2.patch: the Cosmos DB server's query engine builds a query's input
 *   in linear time (it copied the whole accumulated array for every document). Queries still
 *   return exactly the same documents in the same order.
 *
 * No figure of speed is asserted here (that is `npm run bench`): "applied" is shown by what the
 * patched code does (no index re-sort, no copying code generated), not by how long it takes.
 */
import { randomUUID } from 'node:crypto';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { Container, CosmosClient, Database, PatchOperation } from '@azure/cosmos';
import { QueueClient, QueueServiceClient } from '@azure/storage-queue';
import fc from 'fast-check';
import { createCosmosClient } from '../../shared/adapters/cosmos/client';
import { useEmulators } from '../support/environment';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The directory of a package as the emulators' own processes resolve it (scripts/emulators.ts uses require.resolve too). */
const packageDir = (name: string, from?: string) => path.dirname(require.resolve(`${name}/package.json`, from ? { paths: [from] } : undefined));

describe('Azurite queue store (patches/azurite+3.37.0.patch)', () => {
  const azurite = packageDir('azurite');
  /** LokiJS as Azurite loads it: the collection methods the patch stops calling on every operation. */
  const loki = require(require.resolve('lokijs', { paths: [azurite] })) as { Collection: { prototype: { ensureIndex: (...args: unknown[]) => unknown } } };

  /** How many times LokiJS re-sorted a binary index (a full sort of the collection) during `work`. */
  async function indexSorts(work: () => Promise<void>): Promise<number> {
    const spy = jest.spyOn(loki.Collection.prototype, 'ensureIndex');
    try {
      await work();
      return spy.mock.calls.length;
    } finally {
      spy.mockRestore();
    }
  }

  interface StoredMessage {
    accountName: string;
    queueName: string;
    messageId: string;
    popReceipt: string;
    timeNextVisible: Date;
    persistency: { id: string; offset: number; count: number };
    insertionTime: Date;
    expirationTime: Date;
    dequeueCount: number;
  }
  interface QueueStore {
    init(): Promise<void>;
    close(): Promise<void>;
    createQueue(queue: { accountName: string; name: string }): Promise<number>;
    insertMessage(message: StoredMessage): Promise<void>;
    getMessages(account: string, queue: string, timeNextVisible: Date, popReceipt: string, count: number): Promise<StoredMessage[]>;
    deleteMessage(account: string, queue: string, messageId: string, popReceipt: string): Promise<void>;
  }
  interface ExtentStore {
    init(): Promise<void>;
    close(): Promise<void>;
    updateExtent(extent: { id: string; locationId: string; path: string; size: number; lastModifiedInMS: number }): Promise<void>;
    deleteExtent(id: string): Promise<void>;
    listExtents(id?: string): Promise<[{ id: string }[], number | undefined]>;
  }

  test('the queue store Azurite runs receives and deletes without re-sorting an index (unpatched: one full sort of every index per operation)', async () => {
    const Store = (
      require(path.join(azurite, 'dist/src/queue/persistence/LokiQueueMetadataStore')) as { default: new (file: string, inMemory: boolean) => QueueStore }
    ).default;
    const store = new Store(path.join(os.tmpdir(), `patch-test-${randomUUID()}.db`), true); // in memory: nothing is written;
    await store.init();
    try {
      await store.createQueue({ accountName: 'devstoreaccount1', name: 'patched' });
      const now = Date.now();
      for (let i = 0; i < 200; i++) {
        await store.insertMessage({
          accountName: 'devstoreaccount1',
          queueName: 'patched',
          messageId: `m${i}`,
          popReceipt: 'p0',
          timeNextVisible: new Date(now - 1000),
          persistency: { id: 'extent', offset: i, count: 1 },
          insertionTime: new Date(now),
          expirationTime: new Date(now + 3_600_000),
          dequeueCount: 0,
        });
      }
      let received: StoredMessage[] = [];
      const sorts = await indexSorts(async () => {
        received = await store.getMessages('devstoreaccount1', 'patched', new Date(now + 60_000), 'p1', 32);
        for (const message of received) await store.deleteMessage('devstoreaccount1', 'patched', message.messageId, 'p1');
      });
      expect(received.map((m) => m.messageId)).toEqual(Array.from({ length: 32 }, (_, i) => `m${i}`));
      expect(received.every((m) => m.dequeueCount === 1)).toBe(true);
      expect(sorts).toBe(0);
      // The indices the store kept up to date in place still find what they should.
      const next = await store.getMessages('devstoreaccount1', 'patched', new Date(now + 60_000), 'p2', 32);
      expect(next.map((m) => m.messageId)).toEqual(Array.from({ length: 32 }, (_, i) => `m${32 + i}`));
    } finally {
      await store.close();
    }
  });

  test("the extent store's garbage collector deletes an extent without re-sorting the extent index, and deletes only that extent", async () => {
    const Store = (
      require(path.join(azurite, 'dist/src/common/persistence/LokiExtentMetadataStore')) as { default: new (file: string, inMemory: boolean) => ExtentStore }
    ).default;
    const store = new Store(path.join(os.tmpdir(), `patch-test-${randomUUID()}.db`), true); // in memory: nothing is written;
    await store.init();
    try {
      for (let i = 0; i < 100; i++) await store.updateExtent({ id: `e${i}`, locationId: 'memory', path: `e${i}`, size: 10, lastModifiedInMS: Date.now() });
      const sorts = await indexSorts(async () => {
        for (let i = 0; i < 100; i += 2) await store.deleteExtent(`e${i}`);
      });
      expect(sorts).toBe(0);
      const [left] = await store.listExtents();
      expect(left.map((e) => e.id).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `e${2 * i + 1}`).sort());
      expect((await store.listExtents('e3'))[0].map((e) => e.id)).toEqual(['e3']);
      expect((await store.listExtents('e4'))[0]).toEqual([]);
    } finally {
      await store.close();
    }
  });

  describe('against the Azurite process', () => {
    const emulators = useEmulators({ only: 'storage' });
    let service: QueueServiceClient;
    const newQueue = async (): Promise<QueueClient> => {
      const queue = service.getQueueClient(`patches-${randomUUID().slice(0, 8)}`);
      await queue.create();
      return queue;
    };
    beforeAll(() => {
      service = QueueServiceClient.fromConnectionString(emulators.storageConnectionString);
    });

    /** Waits until a message's expiry has passed (`expiresOn` comes in whole seconds, so up to 1 s early). */
    const pastExpiry = async (expiresOn: Date) => {
      while (Date.now() <= expiresOn.getTime() + 1250) await sleep(100);
    };

    test('a message past its time to live is neither received, peeked nor counted, while a message sent after the queue was last checked still expires on time', async () => {
      const queue = await newQueue();
      const lasting = await queue.sendMessage('lasting');
      // A peek checks the queue for expired messages: from here on it knows its earliest expiry
      // (7 days away), and only a later send can bring that closer.
      expect((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText)).toEqual(['lasting']);
      const brief = await queue.sendMessage('brief', { messageTimeToLive: 4 });
      expect((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText)).toEqual(['lasting', 'brief']);

      await pastExpiry(brief.expiresOn);
      expect((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText)).toEqual(['lasting']);
      const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 });
      expect(receivedMessageItems.map((m) => m.messageId)).toEqual([lasting.messageId]);
      expect((await queue.getProperties()).approximateMessagesCount).toBe(1);
    });

    test('expiry is per queue: a short-lived message expires in its queue, and a long-lived one in another queue is still delivered', async () => {
      const [first, second] = [await newQueue(), await newQueue()];
      await first.sendMessage('first-lasting');
      expect((await first.peekMessages()).peekedMessageItems).toHaveLength(1);
      await second.sendMessage('second-lasting');
      const brief = await second.sendMessage('second-brief', { messageTimeToLive: 3 });
      const firstBrief = await first.sendMessage('first-brief', { messageTimeToLive: 3 });
      await pastExpiry(new Date(Math.max(brief.expiresOn.getTime(), firstBrief.expiresOn.getTime())));
      const texts = async (queue: QueueClient) =>
        (await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 30 })).receivedMessageItems.map((m) => m.messageText);
      expect(await texts(first)).toEqual(['first-lasting']);
      expect(await texts(second)).toEqual(['second-lasting']);
    });

    test('a queue deleted and created again under the same name starts afresh: its new short-lived message expires', async () => {
      const queue = await newQueue();
      await queue.sendMessage('old');
      expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(1);
      await queue.delete();
      await queue.create();
      const brief = await queue.sendMessage('new-brief', { messageTimeToLive: 3 });
      await queue.sendMessage('new-lasting');
      await pastExpiry(brief.expiresOn);
      expect((await queue.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.map((m) => m.messageText)).toEqual(['new-lasting']);
    });

    test('receives of 32 hand out a 200-message backlog oldest first, each message once, with dequeue count 1; deletes remove exactly what was received', async () => {
      const queue = await newQueue();
      for (let i = 0; i < 200; i++) await queue.sendMessage(`m${i}`);
      const seen: string[] = [];
      for (;;) {
        const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32, visibilityTimeout: 300 });
        if (receivedMessageItems.length === 0) break;
        expect(receivedMessageItems.every((m) => m.dequeueCount === 1)).toBe(true);
        seen.push(...receivedMessageItems.map((m) => m.messageText));
        // Half of each batch deleted now; the rest stay hidden for their visibility timeout.
        for (const m of receivedMessageItems.filter((_, i) => i % 2 === 0)) await queue.deleteMessage(m.messageId, m.popReceipt);
      }
      expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
      expect((await queue.getProperties()).approximateMessagesCount).toBe(100);
    });
  });
});

describe('Cosmos DB server query engine (patches/@zeit+cosmosdb-query+0.7.2.patch)', () => {
  /** The query engine as the Cosmos DB server resolves it (its own dependency, wherever npm put it). */
  const engine = require(packageDir('@zeit/cosmosdb-query', packageDir('@vercel/cosmosdb-server'))) as { default: (sql: string) => { code: string } };

  test('the engine the server loads builds query input by appending, not by copying the accumulated array per document', () => {
    const queries = [
      'SELECT TOP @limit * FROM c WHERE c.status = @status ORDER BY c.sortKey',
      'SELECT VALUE c.id FROM c JOIN t IN c.tags WHERE t = @tag',
      'SELECT VALUE c.id FROM c WHERE EXISTS(SELECT VALUE t FROM t IN c.tags WHERE t = @tag)',
    ];
    for (const sql of queries) {
      const { code } = engine.default(sql);
      expect(code).not.toMatch(/\[\s*\.\.\.\$\s*,/); // `[...$, x]`: one copy of the accumulator per document
      expect(code).toMatch(/\$\.push\(|\$h\.append\(/);
    }
  });

  describe('against the Cosmos DB server process', () => {
    const emulators = useEmulators({ only: 'cosmos' });
    let client: CosmosClient;
    let database: Database;
    beforeAll(async () => {
      client = createCosmosClient({ endpoint: emulators.cosmosEndpoint, key: emulators.cosmosKey, hqDatabase: '', channelDatabase: '' });
      ({ database } = await client.databases.createIfNotExists({ id: `patches-${randomUUID().slice(0, 8)}` }));
    });
    afterAll(() => client?.dispose());

    test('the server keeps connections alive and says for how long (scripts/cosmos-keep-alive.ts), so clients reuse them', async () => {
      const headers = await new Promise<import('node:http').IncomingHttpHeaders>((resolve, reject) => {
        https
          .get(`${emulators.cosmosEndpoint}/`, { rejectUnauthorized: false, agent: false }, (response) => {
            response.resume();
            resolve(response.headers);
          })
          .on('error', reject);
      });
      expect(headers.connection).toBe('keep-alive');
      expect(headers['keep-alive']).toMatch(/^timeout=\d+$/);
    });

    const STATUSES = ['Uploaded', 'Completed', 'Failed'] as const;
    const TAGS = ['gold', 'silver', 'bronze'] as const;
    interface Doc {
      id: string;
      status: (typeof STATUSES)[number];
      /** Unique per document (so ORDER BY has one right answer); absent on some, which ORDER BY c.sortKey then leaves out. */
      sortKey?: string;
      n: number;
      tags: string[];
      poison?: true;
    }

    const fieldsArb = fc.record({
      status: fc.constantFrom(...STATUSES),
      sortKey: fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
      n: fc.integer({ min: 0, max: 200 }),
      tags: fc.array(fc.constantFrom(...TAGS), { maxLength: 3 }),
      poison: fc.option(fc.constant(true as const), { nil: undefined, freq: 5 }),
    });
    type Fields = typeof fieldsArb extends fc.Arbitrary<infer T> ? T : never;
    /** The `serial`-th document written: its number makes the sort key unique. */
    const toDoc = ({ sortKey, poison, ...rest }: Fields, id: string, serial: number): Doc => ({
      id,
      ...rest,
      ...(sortKey === undefined ? {} : { sortKey: `${String(sortKey).padStart(3, '0')}-${String(serial).padStart(4, '0')}` }),
      ...(poison ? { poison } : {}),
    });
    const writeArb = fc.oneof(
      fc.record({ kind: fc.constant('create' as const), fields: fieldsArb }),
      fc.record({ kind: fc.constant('replace' as const), target: fc.nat(), fields: fieldsArb }),
      fc.record({ kind: fc.constant('patch' as const), target: fc.nat(), status: fc.constantFrom(...STATUSES) }),
      fc.record({ kind: fc.constant('delete' as const), target: fc.nat() }),
    );

    /** The queries the app's shapes use (TOP/ORDER BY/filters/parameters, COUNT, JOIN, EXISTS, paging), each with what it must return. */
    function checks(model: Map<string, Doc>, p: { status: string; tag: string; top: number; min: number }) {
      const docs = [...model.values()];
      const bySortKey = (a: Doc, b: Doc) => (a.sortKey! < b.sortKey! ? -1 : 1);
      const ids = (list: Doc[]) => list.map((d) => d.id);
      const sorted = (list: string[]) => [...list].sort();
      const parameters = [
        { name: '@status', value: p.status },
        { name: '@tag', value: p.tag },
        { name: '@limit', value: p.top },
        { name: '@min', value: p.min },
      ];
      const used = (sql: string) => parameters.filter((x) => sql.includes(x.name));
      return [
        {
          sql: 'SELECT TOP @limit * FROM c WHERE c.status = @status ORDER BY c.sortKey',
          expected: ids(
            docs
              .filter((d) => d.status === p.status && d.sortKey !== undefined)
              .sort(bySortKey)
              .slice(0, p.top),
          ),
          read: (rows: Doc[]) => ids(rows),
        },
        {
          sql: 'SELECT TOP @limit * FROM c WHERE c.status != @status AND NOT IS_DEFINED(c.poison) ORDER BY c.sortKey DESC',
          expected: ids(
            docs
              .filter((d) => d.status !== p.status && !d.poison && d.sortKey !== undefined)
              .sort(bySortKey)
              .reverse()
              .slice(0, p.top),
          ),
          read: (rows: Doc[]) => ids(rows),
        },
        { sql: 'SELECT VALUE COUNT(1) FROM c WHERE c.n >= @min', expected: [docs.filter((d) => d.n >= p.min).length], read: (rows: number[]) => rows },
        {
          sql: 'SELECT VALUE c.id FROM c JOIN t IN c.tags WHERE t = @tag',
          expected: sorted(docs.flatMap((d) => d.tags.filter((t) => t === p.tag).map(() => d.id))),
          read: (rows: string[]) => sorted(rows),
        },
        {
          sql: 'SELECT VALUE c.id FROM c WHERE EXISTS(SELECT VALUE t FROM t IN c.tags WHERE t = @tag)',
          expected: sorted(ids(docs.filter((d) => d.tags.includes(p.tag)))),
          read: (rows: string[]) => sorted(rows),
        },
        { sql: 'SELECT * FROM c', expected: sorted(ids(docs)), read: (rows: Doc[]) => sorted(ids(rows)) },
      ].map((check) => ({ ...check, parameters: used(check.sql) }));
    }

    async function verify(container: Container, model: Map<string, Doc>, p: { status: string; tag: string; top: number; min: number }): Promise<void> {
      for (const check of checks(model, p)) {
        const { resources } = await container.items.query({ query: check.sql, parameters: check.parameters }).fetchAll();
        expect({ sql: check.sql, rows: (check.read as (rows: unknown[]) => unknown[])(resources) }).toEqual({ sql: check.sql, rows: check.expected });
      }
      // Paged (7 per page, continuation tokens): every matching document exactly once.
      const paged: string[] = [];
      const iterator = container.items.query<Doc>(
        { query: 'SELECT * FROM c WHERE c.n < @min', parameters: [{ name: '@min', value: p.min }] },
        { maxItemCount: 7 },
      );
      while (iterator.hasMoreResults()) paged.push(...(await iterator.fetchNext()).resources.map((d) => d.id));
      expect(paged.sort()).toEqual(
        [...model.values()]
          .filter((d) => d.n < p.min)
          .map((d) => d.id)
          .sort(),
      );
      // Every document as stored (the whole container back, fields intact).
      for (const doc of model.values()) {
        const { resource } = await container.item(doc.id, doc.id).read<Doc>();
        expect(resource).toMatchObject(doc);
      }
    }

    test('queries return exactly the documents a model of the container says, in ORDER BY order, before and after creates, replaces, patches and deletes', async () => {
      let made = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fieldsArb, { minLength: 20, maxLength: 80 }),
          fc.array(writeArb, { maxLength: 25 }),
          fc.record({
            status: fc.constantFrom(...STATUSES),
            tag: fc.constantFrom(...TAGS),
            top: fc.integer({ min: 1, max: 30 }),
            min: fc.integer({ min: 0, max: 200 }),
          }),
          async (initialFields, writes, p) => {
            const { container } = await database.containers.createIfNotExists({ id: `docs-${++made}`, partitionKey: { paths: ['/id'] } });
            try {
              const model = new Map<string, Doc>();
              let serial = 0;
              const initial = initialFields.map((fields) => toDoc(fields, `d${serial}`, serial++));
              for (const doc of initial) {
                await container.items.create(doc);
                model.set(doc.id, doc);
              }
              await verify(container, model, p);

              for (const write of writes) {
                const present = [...model.keys()];
                const target = 'target' in write && present.length > 0 ? present[write.target % present.length] : undefined;
                if (write.kind === 'create') {
                  const doc = toDoc(write.fields, `d${serial}`, serial++);
                  await container.items.create(doc);
                  model.set(doc.id, doc);
                } else if (target && write.kind === 'replace') {
                  const doc = toDoc(write.fields, target, serial++);
                  await container.item(target, target).replace(doc);
                  model.set(target, doc);
                } else if (target && write.kind === 'patch') {
                  const patch: PatchOperation[] = [{ op: 'set', path: '/status', value: write.status }];
                  await container.item(target, target).patch(patch);
                  model.set(target, { ...model.get(target)!, status: write.status });
                } else if (target && write.kind === 'delete') {
                  await container.item(target, target).delete();
                  model.delete(target);
                }
              }
              await verify(container, model, p);
            } finally {
              await container.delete();
            }
          },
        ),
        { numRuns: 6 },
      );
    }, 300_000);
  });
});
