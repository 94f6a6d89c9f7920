/**
 * Where instances and their histories live: Azure Table storage (Azurite locally) in
 * `{hub}Instances` and `{hub}History`, or memory when no storage is configured. Table string
 * properties hold at most 64 KiB, so JSON payloads are split across numbered properties.
 */
import { odata, TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import type { HistoryEvent } from './history';

export type RuntimeStatus = 'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Terminated';

export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  /** JSON text, or null when there is none. */
  input: string | null;
  output: string | null;
  customStatus: string | null;
  createdTime: string;
  lastUpdatedTime: string;
}

export interface InstanceFilter {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
}

export interface HistoryStore {
  init(): Promise<void>;
  saveInstance(record: InstanceRecord): Promise<void>;
  getInstance(instanceId: string): Promise<InstanceRecord | undefined>;
  listInstances(filter?: InstanceFilter): Promise<InstanceRecord[]>;
  /** Appends events numbered from `firstIndex` to an execution's history. */
  appendHistory(instanceId: string, executionId: string, firstIndex: number, events: HistoryEvent[]): Promise<void>;
  loadHistory(instanceId: string, executionId: string): Promise<HistoryEvent[]>;
  deleteHistory(instanceId: string, executionId?: string): Promise<void>;
  deleteInstance(instanceId: string): Promise<void>;
}

export function matchesFilter(record: InstanceRecord, filter: InstanceFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.runtimeStatus?.length && !filter.runtimeStatus.includes(record.runtimeStatus)) return false;
  const created = Date.parse(record.createdTime);
  if (filter.createdTimeFrom && created < filter.createdTimeFrom.getTime()) return false;
  if (filter.createdTimeTo && created > filter.createdTimeTo.getTime()) return false;
  return true;
}

export class MemoryHistoryStore implements HistoryStore {
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly histories = new Map<string, HistoryEvent[]>();

  async init(): Promise<void> {}
  async saveInstance(record: InstanceRecord): Promise<void> {
    this.instances.set(record.instanceId, { ...record });
  }
  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    const record = this.instances.get(instanceId);
    return record && { ...record };
  }
  async listInstances(filter?: InstanceFilter): Promise<InstanceRecord[]> {
    return [...this.instances.values()].filter((r) => matchesFilter(r, filter)).map((r) => ({ ...r }));
  }
  async appendHistory(instanceId: string, executionId: string, firstIndex: number, events: HistoryEvent[]): Promise<void> {
    const key = `${instanceId}\u0000${executionId}`;
    const list = this.histories.get(key) ?? [];
    list.length = firstIndex;
    list.push(...events.map((e) => structuredClone(e)));
    this.histories.set(key, list);
  }
  async loadHistory(instanceId: string, executionId: string): Promise<HistoryEvent[]> {
    return structuredClone(this.histories.get(`${instanceId}\u0000${executionId}`) ?? []);
  }
  async deleteHistory(instanceId: string, executionId?: string): Promise<void> {
    for (const key of [...this.histories.keys()]) {
      const [id, execution] = key.split('\u0000');
      if (id === instanceId && (executionId === undefined || execution === executionId)) this.histories.delete(key);
    }
  }
  async deleteInstance(instanceId: string): Promise<void> {
    this.instances.delete(instanceId);
    await this.deleteHistory(instanceId);
  }
}

/** 30 000 UTF-16 code units stay under the 64 KiB limit of a table string property. */
const CHUNK = 30_000;
/** Leaves room for the other properties within the 1 MiB entity limit. */
const MAX_CHUNKS = 30;

function putChunked(entity: Record<string, unknown>, name: string, value: string | null): void {
  if (value === null) {
    entity[`${name}Chunks`] = -1;
    return;
  }
  const count = Math.max(1, Math.ceil(value.length / CHUNK));
  if (count > MAX_CHUNKS) throw new Error(`${name} is ${value.length} characters; the local history store keeps at most ${CHUNK * MAX_CHUNKS}`);
  entity[`${name}Chunks`] = count;
  for (let i = 0; i < count; i++) entity[`${name}_${i}`] = value.slice(i * CHUNK, (i + 1) * CHUNK);
}

function getChunked(entity: Record<string, unknown>, name: string): string | null {
  const count = Number(entity[`${name}Chunks`] ?? -1);
  if (count < 0) return null;
  let value = '';
  for (let i = 0; i < count; i++) value += String(entity[`${name}_${i}`] ?? '');
  return value;
}

/** Partition keys may not contain / \ # ? or control characters. */
function partitionKey(instanceId: string): string {
  return encodeURIComponent(instanceId);
}

export class TableHistoryStore implements HistoryStore {
  private readonly instances: TableClient;
  private readonly history: TableClient;

  constructor(connectionString: string, hubName: string) {
    const options = { allowInsecureConnection: true };
    this.instances = TableClient.fromConnectionString(connectionString, `${hubName}Instances`, options);
    this.history = TableClient.fromConnectionString(connectionString, `${hubName}History`, options);
  }

  async init(): Promise<void> {
    for (const table of [this.instances, this.history]) {
      try {
        await table.createTable();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 409) throw error;
      }
    }
  }

  async saveInstance(record: InstanceRecord): Promise<void> {
    const entity: Record<string, unknown> = {
      partitionKey: partitionKey(record.instanceId),
      rowKey: '',
      InstanceId: record.instanceId,
      Name: record.name,
      ExecutionId: record.executionId,
      RuntimeStatus: record.runtimeStatus,
      CreatedTime: record.createdTime,
      LastUpdatedTime: record.lastUpdatedTime,
    };
    putChunked(entity, 'Input', record.input);
    putChunked(entity, 'Output', record.output);
    putChunked(entity, 'CustomStatus', record.customStatus);
    // Replace, not merge: a shorter payload must not leave stale chunks behind.
    await this.instances.upsertEntity(entity as TableEntity, 'Replace');
  }

  async getInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    try {
      const entity = await this.instances.getEntity<Record<string, unknown>>(partitionKey(instanceId), '');
      return toRecord(entity);
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw error;
    }
  }

  async listInstances(filter?: InstanceFilter): Promise<InstanceRecord[]> {
    const statuses = filter?.runtimeStatus ?? [];
    const query = statuses.length ? statuses.map((s) => odata`RuntimeStatus eq ${s}`).join(' or ') : undefined;
    const records: InstanceRecord[] = [];
    for await (const entity of this.instances.listEntities<Record<string, unknown>>({ queryOptions: { filter: query } })) {
      const record = toRecord(entity);
      if (matchesFilter(record, filter)) records.push(record);
    }
    return records;
  }

  async appendHistory(instanceId: string, executionId: string, firstIndex: number, events: HistoryEvent[]): Promise<void> {
    const pk = partitionKey(instanceId);
    const actions: TransactionAction[] = events.map((event, i) => {
      const entity: Record<string, unknown> = {
        partitionKey: pk,
        rowKey: `${executionId}:${String(firstIndex + i).padStart(8, '0')}`,
        EventType: event.EventType,
      };
      putChunked(entity, 'Event', JSON.stringify(event));
      return ['upsert', entity as TableEntity, 'Replace'];
    });
    // A transaction holds at most 100 operations of one partition (and 4 MiB).
    for (let i = 0; i < actions.length; i += 50) await this.history.submitTransaction(actions.slice(i, i + 50));
  }

  async loadHistory(instanceId: string, executionId: string): Promise<HistoryEvent[]> {
    const pk = partitionKey(instanceId);
    const filter = odata`PartitionKey eq ${pk} and RowKey ge ${`${executionId}:`} and RowKey lt ${`${executionId};`}`;
    const rows: { rowKey: string; event: HistoryEvent }[] = [];
    for await (const entity of this.history.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      rows.push({ rowKey: String(entity.rowKey), event: JSON.parse(getChunked(entity, 'Event') ?? 'null') as HistoryEvent });
    }
    rows.sort((a, b) => (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
    return rows.map((r) => r.event);
  }

  async deleteHistory(instanceId: string, executionId?: string): Promise<void> {
    const pk = partitionKey(instanceId);
    const filter = executionId
      ? odata`PartitionKey eq ${pk} and RowKey ge ${`${executionId}:`} and RowKey lt ${`${executionId};`}`
      : odata`PartitionKey eq ${pk}`;
    const actions: TransactionAction[] = [];
    for await (const entity of this.history.listEntities({ queryOptions: { filter, select: ['PartitionKey', 'RowKey'] } })) {
      actions.push(['delete', { partitionKey: pk, rowKey: String(entity.rowKey) }]);
    }
    for (let i = 0; i < actions.length; i += 100) await this.history.submitTransaction(actions.slice(i, i + 100));
  }

  async deleteInstance(instanceId: string): Promise<void> {
    await this.deleteHistory(instanceId);
    try {
      await this.instances.deleteEntity(partitionKey(instanceId), '');
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404) throw error;
    }
  }
}

function toRecord(entity: Record<string, unknown>): InstanceRecord {
  return {
    instanceId: String(entity.InstanceId),
    name: String(entity.Name),
    executionId: String(entity.ExecutionId),
    runtimeStatus: String(entity.RuntimeStatus) as RuntimeStatus,
    input: getChunked(entity, 'Input'),
    output: getChunked(entity, 'Output'),
    customStatus: getChunked(entity, 'CustomStatus'),
    createdTime: String(entity.CreatedTime),
    lastUpdatedTime: String(entity.LastUpdatedTime),
  };
}
