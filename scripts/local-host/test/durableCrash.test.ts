/**
 * A host that dies at any point leaves a history store a new host resumes from: the store stops
 * taking writes after the n-th one (what a SIGKILL does to a process between two writes), a new
 * host starts on what was written, and the instance must still finish, for every n. The
 * orchestration continues as new, whose hand-over from one execution to the next is itself a
 * few writes.
 */
import { startLocalHost, MemoryHistoryStore, type HistoryStore, type InstanceRecord } from '../src';
import type { HistoryEvent } from '../src/durable/history';
import type { InstanceFilter } from '../src/durable/store';
import { FIXTURE_APP, waitFor } from './helpers';

/** Passes the first `writesLeft` writes to the store, then refuses every write, as a dead process makes none. */
class DyingStore implements HistoryStore {
  dead = false;
  constructor(
    private readonly inner: HistoryStore,
    private writesLeft: number,
  ) {}
  private write<T>(call: () => Promise<T>): Promise<T> {
    if (this.writesLeft <= 0) {
      this.dead = true;
      return Promise.reject(new Error('the process is dead'));
    }
    this.writesLeft--;
    return call();
  }
  init = () => this.inner.init();
  getInstance = (id: string) => this.inner.getInstance(id);
  listInstances = (filter?: InstanceFilter) => this.inner.listInstances(filter);
  loadHistory = (id: string, executionId: string) => this.inner.loadHistory(id, executionId);
  saveInstance = (record: InstanceRecord) => this.write(() => this.inner.saveInstance(record));
  appendHistory = (id: string, executionId: string, first: number, events: HistoryEvent[]) =>
    this.write(() => this.inner.appendHistory(id, executionId, first, events));
  deleteHistory = (id: string, executionId?: string) => this.write(() => this.inner.deleteHistory(id, executionId));
  deleteInstance = (id: string) => this.write(() => this.inner.deleteInstance(id));
}

const host = (historyStore: HistoryStore) => startLocalHost({ appRoot: FIXTURE_APP, port: 0, historyStore, log: () => undefined });

async function finished(store: HistoryStore, id: string): Promise<InstanceRecord> {
  return waitFor(
    async () => {
      const record = await store.getInstance(id);
      return record && ['Completed', 'Failed', 'Terminated'].includes(record.runtimeStatus) ? record : undefined;
    },
    10_000,
    20,
  );
}

test('an instance that continues as new finishes after its host dies between any two writes', async () => {
  process.env.Fixture__tickSchedule = '0 0 0 1 1 *';
  for (let writes = 1; ; writes++) {
    const store = new MemoryHistoryStore();
    const dying = new DyingStore(store, writes);
    const first = await host(dying);
    await first.durable.startNew('countdown', 'countdown', '3');
    await waitFor(async () => (dying.dead || (await store.getInstance('countdown'))?.runtimeStatus === 'Completed' ? true : undefined), 10_000, 5);
    await first.stop();
    if (!dying.dead) break;

    const second = await host(store);
    try {
      const record = await finished(store, 'countdown').catch(async () => {
        throw new Error(`the host that died after ${writes} writes left an instance nobody finishes: ${JSON.stringify(await store.getInstance('countdown'))}`);
      });
      expect({ writes, status: record.runtimeStatus, output: record.output }).toEqual({ writes, status: 'Completed', output: '"done"' });
    } finally {
      await second.stop();
    }
  }
}, 120_000);
