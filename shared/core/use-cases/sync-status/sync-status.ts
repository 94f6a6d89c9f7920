/**
 * "Customer synchronization status" (Commerce and Retail > Customers): every async operation with
 * its stage, from two sources:
 *
 * - HQ staging (`asyncOperations`) holds what upload has taken in: Uploaded, Completed, Failed and
 *   the Failed rows of poison messages.
 * - The channel holds what is not in staging yet: an operation in a channel customer's
 *   `operations` map whose status is still Pending and whose id staging does not know. (The
 *   channel is not told about upload, so "Pending in the channel" alone would also list uploaded
 *   operations: staging is asked which of the candidates it already has.)
 *
 * Both sources are paged newest first by keyset on `sortKey` (`createdAt|operationId`), so a page
 * of the merged list is the top of each source's page below the cursor, with no offsets and no
 * state between requests.
 *
 * The channel side reads only customers with outstanding operations
 * (`hqAppliedCounter < replicationCounter`), newest `updatedAt` first. Every operation of a
 * customer was created at or before the customer's `updatedAt`, which bounds what later customers
 * can contribute and lets a page stop early. A backlog of uploaded-but-unsynchronized customers
 * makes that scan longer (their operations are candidates until staging rules them out); in
 * steady state the outstanding set is what the last few minutes signed up.
 */
import type { Container, SqlParameter } from '@azure/cosmos';
import { z } from 'zod';
import type { ChannelCustomer, ChannelStore } from '../../../adapters/cosmos/channel-customers';
import type { OperationQueue } from '../../../adapters/queue/operation-queue';
import type { AppConfig } from '../../config/settings';
import { applyInOrder, CUSTOMER_FIELD_NAMES, CustomerProfile } from '../../domain/customer';
import { DomainError, notFound } from '../../domain/errors';
import { GUID } from '../../domain/identity';
import { ASYNC_TABLE, Entity, OperationKind, OperationRecord, StagedOperation, sortKey as sortKeyOf, SyncStatus } from '../../domain/operation';
import { parseStrict, payloadSchemas, ValidationError } from '../../domain/validation';
import type { HqService } from '../hq';
import { isPreconditionFailed } from '../../../adapters/cosmos/documents';
import { channelRecord } from '../distribute';
import type { RunStore, SyncRun } from '../../../adapters/cosmos/run-log';
import type { StagingStore } from '../../../adapters/cosmos/staging';
import type { SyncCounts, Synchronizer } from '../synchronize';
import { ChangeDescription, describeChange } from '../../domain/change-description';
import { encodeToken, ListQuery, SyncStatusFilter } from './list-query';

export interface SyncStatusRow {
  operationId: string;
  customerId: string;
  channelId: string;
  channelName: string;
  /** The real HQ account; null while the customer is not in HQ ("Pending sync"). */
  customerAccount: string | null;
  custAccountAsync: string | null;
  createdAt: string;
  entity: Entity;
  operation: OperationKind;
  status: SyncStatus;
  lastError: string | null;
  attempts: number;
  replicationCounter: number;
  /** Failed and out of automatic retries (or poison): it waits for an operator. */
  waitingForOperator: boolean;
  poison: boolean;
  sortKey: string;
}

export interface OperationDetail extends SyncStatusRow {
  table: string;
  /** Where the row lives: HQ staging, or the channel (not uploaded yet; not editable here). */
  source: 'staging' | 'channel';
  /** Quoted, as sent in the ETag header; null for channel-only operations. */
  etag: string | null;
  uploadedAt: string | null;
  completedAt: string | null;
  editedAt: string | null;
  payload: Record<string, unknown>;
  change: ChangeDescription;
  failure: { lastError: string | null; attempts: number; maxAttempts: number; retriesAutomatically: boolean; poison: boolean } | null;
  /** Why an Uploaded operation did not move in the last run (e.g. waiting behind a failed one). */
  waitingReason: string | null;
  editable: boolean;
}

export interface SyncStatusPage {
  items: SyncStatusRow[];
  continuationToken: string | null;
}

export interface OpsMetrics {
  counts: Record<SyncStatus, number>;
  failedWaitingForOperator: number;
  poisonRows: number;
  /** The oldest operation that is not in HQ yet and not failed (Pending or Uploaded). */
  oldestPending: { createdAt: string; ageSeconds: number } | null;
  oldestPendingAgeSeconds: number | null;
  queue: { name: string; queued: number; poisoned: number };
  lastRun: SyncRun | null;
  generatedAt: string;
}

/** A staged document as stored: poison rows carry `poison: true`, saved ones `editedAt`. */
type StagedDoc = StagedOperation & { poison?: true; editedAt?: string };

type OutstandingCustomer = Pick<
  ChannelCustomer,
  'id' | 'channelId' | 'custAccountAsync' | 'accountNumber' | 'email' | 'createdAt' | 'updatedAt' | 'operations'
>;

type Located =
  | { source: 'staging'; doc: StagedDoc; etag: string }
  | { source: 'channel'; customer: ChannelCustomer; record: OperationRecord };

export interface SyncStatusDeps {
  config: Pick<AppConfig, 'channels' | 'sync'>;
  /** HQ staging and the channel's customers, for the list's queries. */
  stagingContainer: Container;
  channelContainer: Container;
  staging: StagingStore;
  channel: ChannelStore;
  hq: HqService;
  synchronizer: Synchronizer;
  queue: OperationQueue;
  runs: RunStore;
  log?: (message: string) => void;
}

/** Channel customers read per request while scanning for Pending operations. */
const CHANNEL_PAGE = 100;
/** Customers an `email`/`customerAccount` filter may resolve to. */
const MAX_RESOLVED_CUSTOMERS = 100;
/** Ids in one `ARRAY_CONTAINS` lookup. */
const ID_CHUNK = 200;
/** Fields that name the record an operation adds; changing them would make it another record. */
const IDENTITY_FIELDS = ['addressId', 'contactId'];
/** An operation id is a GUID; a poison message's row is `poison-` + its queue message id. */
const POISON_ID = /^poison-[A-Za-z0-9-]{1,100}$/;

/**
 * Not `z.record`: it drops a `"__proto__"` key without a word, and Save then wrote an unchanged
 * payload (attempts reset, 200) for `{"payload":{"__proto__":{"status":"Completed"}}}`. The
 * payload's own keys go to the merge as they are, and the entity's strict schema names any stranger.
 */
const saveBody = z.strictObject({
  payload: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be an object'),
});

export class SyncStatusService {
  constructor(private readonly deps: SyncStatusDeps) {}

  async list(query: ListQuery): Promise<SyncStatusPage> {
    const { filter, limit, after } = query;
    const wanted = limit + 1;
    const [staged, pending] = await Promise.all([
      filter.status === 'Pending' ? [] : this.stagedRows(filter, after, wanted),
      filter.status === undefined || filter.status === 'Pending' ? this.pendingRows(filter, after, wanted) : [],
    ]);
    // An operation uploaded between the two reads could show in both: staging's row wins.
    const seen = new Set(staged.map((row) => row.operationId));
    const merged = [...staged, ...pending.filter((row) => !seen.has(row.operationId))].sort(newestFirst).slice(0, wanted);
    const items = merged.slice(0, limit);
    await this.fillAccounts(items);
    return { items, continuationToken: merged.length > limit ? encodeToken(items[items.length - 1].sortKey) : null };
  }

  async detail(operationId: string): Promise<OperationDetail> {
    const located = await this.locate(operationId);
    if (located.source === 'channel') {
      const { customer, record } = located;
      return {
        ...pendingRow(customer, record, this.channelName(customer.channelId)),
        table: ASYNC_TABLE[record.entity],
        source: 'channel',
        etag: null,
        uploadedAt: record.uploadedAt,
        completedAt: record.completedAt,
        editedAt: null,
        payload: record.payload,
        change: describeChange(record, { channel: replay(customer.operations, record.replicationCounter) }),
        failure: null,
        waitingReason: null,
        editable: false,
      };
    }
    const { doc, etag } = located;
    const [customer, hqCustomer] = doc.poison
      ? [undefined, undefined]
      : await Promise.all([this.deps.channel.read(doc.customerId), this.deps.hq.getCustomer(doc.customerId)]);
    const row = this.stagedRow(doc);
    row.customerAccount ??= hqCustomer?.accountNumber ?? customer?.doc.accountNumber ?? null;
    const maxAttempts = this.deps.config.sync.maxAttempts;
    return {
      ...row,
      table: ASYNC_TABLE[doc.entity],
      source: 'staging',
      etag: quoteEtag(etag),
      uploadedAt: doc.uploadedAt,
      completedAt: doc.completedAt,
      editedAt: doc.editedAt ?? null,
      payload: doc.payload,
      // Old values are the customer just before this operation: HQ's while HQ has not applied it,
      // otherwise the channel's operations replayed up to it (the channel's record already shows the change).
      change: describeChange(doc, {
        hq: hqCustomer && hqCustomer.appliedCounter < doc.replicationCounter ? hqCustomer : undefined,
        channel: customer ? replay(customer.doc.operations, doc.replicationCounter) : undefined,
      }),
      failure:
        doc.status === 'Failed'
          ? { lastError: doc.lastError, attempts: doc.attempts, maxAttempts, retriesAutomatically: !row.waitingForOperator, poison: row.poison }
          : null,
      waitingReason: doc.status === 'Uploaded' ? doc.lastError : null,
      editable: doc.status !== 'Completed' && !doc.poison && schemaFor(doc) !== undefined,
    };
  }

  /**
   * Save: replace the payload of a staged operation that is not Completed, if it is still the
   * version the operator read. The new payload is validated as the storefront would validate it.
   * A Failed operation stays Failed (the row must not claim a success that has not happened) but
   * its attempts restart at 0, so automatic retries resume with the fix; the channel's copy of
   * the payload is updated too, so a re-queue from the channel carries the fix as well.
   */
  async save(operationId: string, ifMatch: string | undefined, body: unknown): Promise<OperationDetail> {
    const located = await this.locate(operationId);
    if (located.source === 'channel') {
      throw new DomainError('Conflict', 'the operation is still Pending in the channel (not uploaded to HQ staging yet); run sync, then edit it', {
        reason: 'OperationNotUploaded',
        operationId,
      });
    }
    if (!ifMatch) {
      throw new DomainError('PreconditionRequired', 'send If-Match with the ETag of the operation you read', { operationId });
    }
    const { doc, etag } = located;
    const { payload: patch } = parseStrict(saveBody, body);
    if (doc.poison) {
      throw new DomainError('Conflict', 'a poison message has no payload to edit; it is kept in the poison queue', { reason: 'PoisonMessage', operationId });
    }
    if (doc.status === 'Completed') {
      throw new DomainError('OperationCompleted', 'the operation is Completed in HQ and can no longer be changed', { operationId });
    }
    const schema = schemaFor(doc);
    if (!schema) {
      throw new DomainError('Conflict', `${doc.entity} ${doc.operation} operations have no editable payload`, { reason: 'NotEditable', operationId });
    }
    const identityErrors = IDENTITY_FIELDS.filter((field) => field in patch && patch[field] !== doc.payload[field]).map((field) => ({
      path: `/payload/${field}`,
      message: 'cannot be changed: it names the record the operation creates',
    }));
    if (identityErrors.length > 0) throw new ValidationError(identityErrors);
    const { payload } = parseStrict(z.strictObject({ payload: schema }), { payload: mergePatch(doc.payload, patch) }) as {
      payload: Record<string, unknown>;
    };
    if (!etagMatches(ifMatch, etag)) {
      throw new DomainError('PreconditionFailed', 'the operation changed since you read it; reload it and apply your change again', { operationId });
    }

    const updated: StagedDoc = {
      ...doc,
      payload,
      ...(doc.entity === 'Customer' && typeof payload.email === 'string' ? { email: payload.email } : {}),
      ...(doc.status === 'Failed' ? { attempts: 0 } : {}),
      lastRunId: null,
      editedAt: new Date().toISOString(),
    };
    try {
      await this.deps.staging.replace(updated, etag);
    } catch (error) {
      if (!isPreconditionFailed(error)) throw error;
      throw new DomainError('PreconditionFailed', 'the operation changed since you read it; reload it and apply your change again', { operationId });
    }
    await this.copyToChannel(updated);
    this.deps.log?.(`ops: operation ${operationId} of customer ${doc.customerId} saved by an operator`);
    return this.detail(operationId);
  }

  /**
   * Synchronize: process the customer's outstanding operations now, Failed ones included whatever
   * their attempts (that is what an operator asks for after a fix).
   */
  async synchronize(
    operationId: string,
    /** Refuses by throwing, once the operation is known to exist (e.g. while a sync run is active). */
    precondition: () => Promise<void> = async () => {},
  ): Promise<{ operation: SyncStatusRow; counts: SyncCounts; runId: string }> {
    const located = await this.locate(operationId);
    if (located.source === 'channel') {
      throw new DomainError('Conflict', 'the operation is still Pending in the channel (not uploaded to HQ staging yet); run sync instead', {
        reason: 'OperationNotUploaded',
        operationId,
      });
    }
    if (located.doc.poison) {
      throw new DomainError('Conflict', 'a poison message cannot be synchronized; it is kept in the poison queue', { reason: 'PoisonMessage', operationId });
    }
    await precondition();
    const runId = `manual@${new Date().toISOString()}`;
    const counts = await this.deps.synchronizer.synchronizeCustomer(located.doc.customerId, runId);
    this.deps.log?.(`ops: customer ${located.doc.customerId} synchronized on demand (${runId}): ${counts.completed} completed, ${counts.failed} failed`);
    const after = await this.deps.staging.read(located.doc.customerId, operationId);
    const row = this.stagedRow((after?.doc ?? located.doc) as StagedDoc);
    await this.fillAccounts([row]);
    return { operation: row, counts, runId };
  }

  async metrics(now = new Date()): Promise<OpsMetrics> {
    const count = (where: string, parameters: SqlParameter[] = []) =>
      this.deps.stagingContainer.items
        .query<number>({ query: `SELECT VALUE COUNT(1) FROM c WHERE ${where}`, parameters })
        .fetchAll()
        .then(({ resources }) => resources[0] ?? 0);
    const status = (s: SyncStatus) => count('c.status = @status', [{ name: '@status', value: s }]);
    const [uploaded, completed, failed, waiting, poison, oldestUploaded, pending, depth, runs] = await Promise.all([
      status('Uploaded'),
      status('Completed'),
      status('Failed'),
      count("c.status = 'Failed' AND (c.attempts >= @max OR IS_DEFINED(c.poison))", [{ name: '@max', value: this.deps.config.sync.maxAttempts }]),
      count('IS_DEFINED(c.poison)'),
      this.deps.stagingContainer.items
        .query<string>("SELECT TOP 1 VALUE c.createdAt FROM c WHERE c.status = 'Uploaded' ORDER BY c.sortKey")
        .fetchAll()
        .then(({ resources }) => resources[0]),
      this.pendingSummary(),
      this.deps.queue.approximateDepth(),
      this.deps.runs.recent(1),
    ]);
    const oldest = [pending.oldest, oldestUploaded].filter((t): t is string => !!t).sort()[0];
    const oldestPending = oldest ? { createdAt: oldest, ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(oldest)) / 1000)) } : null;
    return {
      counts: { Pending: pending.count, Uploaded: uploaded, Completed: completed, Failed: failed },
      failedWaitingForOperator: waiting,
      poisonRows: poison,
      oldestPending,
      oldestPendingAgeSeconds: oldestPending?.ageSeconds ?? null,
      queue: { name: this.deps.queue.name, ...depth },
      lastRun: runs[0] ?? null,
      generatedAt: now.toISOString(),
    };
  }

  private async stagedRows(filter: SyncStatusFilter, after: string | undefined, wanted: number): Promise<SyncStatusRow[]> {
    const where: string[] = [];
    const parameters: SqlParameter[] = [{ name: '@top', value: wanted }];
    const add = (condition: string, name: string, value: SqlParameter['value']) => {
      where.push(condition);
      parameters.push({ name, value });
    };
    if (after) add('c.sortKey < @after', '@after', after);
    if (filter.since) add('c.sortKey >= @since', '@since', filter.since);
    if (filter.status) add('c.status = @status', '@status', filter.status);
    if (filter.channelId) add('c.channelId = @channelId', '@channelId', filter.channelId);
    if (filter.entity) add('c.entity = @entity', '@entity', filter.entity);
    if (filter.custAccountAsync) add('c.custAccountAsync = @custAccountAsync', '@custAccountAsync', filter.custAccountAsync.toLowerCase());
    if (filter.customerAccount) {
      // Staged rows carry the account only when the channel knew it; the channel knows it now.
      const ids = await this.channelCustomerIds('c.accountNumber = @value', filter.customerAccount);
      add('(c.customerAccount = @account OR ARRAY_CONTAINS(@accountCustomers, c.customerId))', '@account', filter.customerAccount);
      parameters.push({ name: '@accountCustomers', value: ids });
    }
    if (filter.email) {
      const ids = await this.channelCustomerIds('LOWER(c.email) = @value', filter.email);
      add('(LOWER(c.email) = @email OR ARRAY_CONTAINS(@emailCustomers, c.customerId))', '@email', filter.email);
      parameters.push({ name: '@emailCustomers', value: ids });
    }
    const query = `SELECT TOP @top * FROM c${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY c.sortKey DESC`;
    const { resources } = await this.deps.stagingContainer.items.query<StagedDoc>({ query, parameters }).fetchAll();
    return resources.map((doc) => this.stagedRow(doc));
  }

  private async pendingRows(filter: SyncStatusFilter, after: string | undefined, wanted: number): Promise<SyncStatusRow[]> {
    const rows: SyncStatusRow[] = [];
    const afterCreatedAt = after?.slice(0, after.indexOf('|'));
    for await (const customers of this.outstandingCustomers(filter, afterCreatedAt)) {
      const candidates = customers.flatMap((customer) =>
        Object.values(customer.operations)
          .filter((op) => op.status === 'Pending')
          .map((op) => pendingRow(customer, op, this.channelName(customer.channelId)))
          .filter((row) => (!after || row.sortKey < after) && (!filter.since || row.createdAt >= filter.since))
          .filter((row) => !filter.entity || row.entity === filter.entity),
      );
      const staged = await this.stagedIds(candidates.map((row) => row.operationId));
      rows.push(...candidates.filter((row) => !staged.has(row.operationId)));
      rows.sort(newestFirst);
      // Customers further on were all updated at or before this one, and so were their operations.
      const bound = customers[customers.length - 1].updatedAt;
      if (rows.length >= wanted && rows[wanted - 1].createdAt > bound) break;
    }
    return rows.slice(0, wanted);
  }

  /** The Pending count and oldest Pending operation, reading the outstanding customers page by page. */
  private async pendingSummary(): Promise<{ count: number; oldest: string | undefined }> {
    let count = 0;
    let oldest: string | undefined;
    for await (const customers of this.outstandingCustomers({})) {
      const candidates = customers.flatMap((c) => Object.values(c.operations).filter((op) => op.status === 'Pending'));
      const staged = await this.stagedIds(candidates.map((op) => op.operationId));
      for (const op of candidates) {
        if (staged.has(op.operationId)) continue;
        count++;
        if (!oldest || op.createdAt < oldest) oldest = op.createdAt;
      }
    }
    return { count, oldest };
  }

  private async *outstandingCustomers(filter: SyncStatusFilter, afterCreatedAt?: string): AsyncGenerator<OutstandingCustomer[]> {
    const where = ['c.hqAppliedCounter < c.replicationCounter'];
    const parameters: SqlParameter[] = [];
    const add = (condition: string, name: string, value: string) => {
      where.push(condition);
      parameters.push({ name, value });
    };
    // An operation is created at or after its customer and at or before the customer's updatedAt.
    if (afterCreatedAt) add('c.createdAt <= @afterCreatedAt', '@afterCreatedAt', afterCreatedAt);
    if (filter.since) add('c.updatedAt >= @since', '@since', filter.since);
    if (filter.channelId) add('c.channelId = @channelId', '@channelId', filter.channelId);
    if (filter.custAccountAsync) add('c.custAccountAsync = @custAccountAsync', '@custAccountAsync', filter.custAccountAsync.toLowerCase());
    if (filter.customerAccount) add('c.accountNumber = @account', '@account', filter.customerAccount);
    if (filter.email) add('LOWER(c.email) = @email', '@email', filter.email);
    const iterator = this.deps.channelContainer.items.query<OutstandingCustomer>(
      {
        query:
          'SELECT c.id, c.channelId, c.custAccountAsync, c.accountNumber, c.email, c.createdAt, c.updatedAt, c.operations FROM c ' +
          `WHERE ${where.join(' AND ')} ORDER BY c.updatedAt DESC`,
        parameters,
      },
      { maxItemCount: CHANNEL_PAGE },
    );
    while (iterator.hasMoreResults()) {
      const { resources } = await iterator.fetchNext();
      if (resources.length > 0) yield resources;
    }
  }

  /** Which of these operation ids staging already has. */
  private async stagedIds(ids: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += ID_CHUNK) {
      const { resources } = await this.deps.stagingContainer.items
        .query<string>({ query: 'SELECT VALUE c.id FROM c WHERE ARRAY_CONTAINS(@ids, c.id)', parameters: [{ name: '@ids', value: ids.slice(i, i + ID_CHUNK) }] })
        .fetchAll();
      for (const id of resources) found.add(id);
    }
    return found;
  }

  private async channelCustomerIds(condition: string, value: string): Promise<string[]> {
    const { resources } = await this.deps.channelContainer.items
      .query<string>({
        query: `SELECT TOP ${MAX_RESOLVED_CUSTOMERS} VALUE c.id FROM c WHERE ${condition}`,
        parameters: [{ name: '@value', value }],
      })
      .fetchAll();
    return resources;
  }

  /** Staged rows know the account only if the channel did when queuing; the channel knows it now. */
  private async fillAccounts(rows: SyncStatusRow[]): Promise<void> {
    const ids = [...new Set(rows.filter((r) => !r.customerAccount && !r.poison).map((r) => r.customerId))];
    if (ids.length === 0) return;
    const { resources } = await this.deps.channelContainer.items
      .query<{ id: string; accountNumber: string | null }>({
        query: 'SELECT c.id, c.accountNumber FROM c WHERE ARRAY_CONTAINS(@ids, c.id)',
        parameters: [{ name: '@ids', value: ids }],
      })
      .fetchAll();
    const accounts = new Map(resources.map((r) => [r.id, r.accountNumber]));
    for (const row of rows) row.customerAccount ??= accounts.get(row.customerId) ?? null;
  }

  private async locate(operationId: string): Promise<Located> {
    if (!GUID.test(operationId) && !POISON_ID.test(operationId)) throw notFound(`operation ${operationId.slice(0, 100)}`);
    const staged = await this.deps.staging.find(operationId);
    if (staged) return { source: 'staging', doc: staged.doc as StagedDoc, etag: staged.etag };
    const { resources } = await this.deps.channelContainer.items
      .query<ChannelCustomer>({ query: 'SELECT * FROM c WHERE IS_DEFINED(c.operations[@id])', parameters: [{ name: '@id', value: operationId }] })
      .fetchAll();
    const customer = resources[0];
    // Own keys only: an id like `toString` must not find Object.prototype (the emulator's query
    // engine, plain JS, even answers IS_DEFINED(c.operations["toString"]) with true).
    if (!customer || !Object.hasOwn(customer.operations, operationId)) throw notFound(`operation ${operationId}`);
    return { source: 'channel', customer, record: customer.operations[operationId] };
  }

  /**
   * The channel keeps a copy of each operation's payload (to queue it again) and shows the
   * customer as its operations make it: both follow the operator's fix. Best effort against
   * concurrent writers: a distribution patch in between makes the replace retry.
   */
  private async copyToChannel(op: StagedDoc): Promise<void> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.deps.channel.read(op.customerId);
      if (!current || !current.doc.operations[op.operationId]) return;
      const operations = { ...current.doc.operations, [op.operationId]: channelRecord(op) };
      const withoutFields = { ...current.doc } as Record<string, unknown>;
      for (const field of CUSTOMER_FIELD_NAMES) delete withoutFields[field];
      const profile = replay(operations) ?? current.doc;
      const updated = { ...withoutFields, ...profile, operations, updatedAt: new Date().toISOString() } as ChannelCustomer;
      try {
        await this.deps.channel.replace(updated, current.etag);
        return;
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error;
      }
    }
    this.deps.log?.(`ops: channel copy of operation ${op.operationId} not updated (kept changing); the staged fix stands`);
  }

  private stagedRow(doc: StagedDoc): SyncStatusRow {
    const poison = doc.poison === true;
    return {
      operationId: doc.operationId,
      customerId: doc.customerId,
      channelId: doc.channelId,
      channelName: this.channelName(doc.channelId),
      customerAccount: doc.customerAccount,
      custAccountAsync: doc.custAccountAsync,
      createdAt: doc.createdAt,
      entity: doc.entity,
      operation: doc.operation,
      status: doc.status,
      lastError: doc.lastError,
      attempts: doc.attempts,
      replicationCounter: doc.replicationCounter,
      waitingForOperator: doc.status === 'Failed' && (poison || doc.attempts >= this.deps.config.sync.maxAttempts),
      poison,
      sortKey: doc.sortKey,
    };
  }

  private channelName(channelId: string): string {
    return this.deps.config.channels.get(channelId)?.name ?? channelId;
  }
}

function pendingRow(customer: OutstandingCustomer, op: OperationRecord, channelName: string): SyncStatusRow {
  return {
    operationId: op.operationId,
    customerId: customer.id,
    channelId: customer.channelId,
    channelName,
    customerAccount: customer.accountNumber,
    custAccountAsync: customer.custAccountAsync,
    createdAt: op.createdAt,
    entity: op.entity,
    operation: op.operation,
    status: op.status,
    lastError: op.lastError,
    attempts: op.attempts,
    replicationCounter: op.replicationCounter,
    waitingForOperator: false,
    poison: false,
    sortKey: sortKeyOf(op.createdAt, op.operationId),
  };
}

function newestFirst(a: SyncStatusRow, b: SyncStatusRow): number {
  return a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0;
}

function schemaFor(op: { entity: Entity; operation: OperationKind }): z.ZodType | undefined {
  return (payloadSchemas as Record<string, z.ZodType>)[`${op.entity}:${op.operation}`];
}

/** RFC 7396 JSON merge patch, one level deep (payload values are flat): null removes a field. */
function mergePatch(base: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const result = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    // An own property even for `__proto__` (assignment would set the prototype and hide the key from validation).
    else Object.defineProperty(result, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/**
 * The customer as its operations make it (those before `beforeCounter` only, when given), or
 * undefined if they do not replay.
 */
function replay(operations: Record<string, OperationRecord>, beforeCounter = Infinity): CustomerProfile | undefined {
  try {
    return applyInOrder(
      undefined,
      Object.values(operations).filter((op) => op.replicationCounter < beforeCounter),
    );
  } catch {
    return undefined;
  }
}

/** Cosmos returns its etag quoted; the emulator does not. The header is always quoted. */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

/** If-Match: `*`, or a list of (weak or strong) entity tags; compared as strong tags (RFC 9110). */
export function etagMatches(ifMatch: string, etag: string): boolean {
  const current = quoteEtag(etag);
  return ifMatch
    .split(',')
    .map((tag) => tag.trim())
    .some((tag) => tag === '*' || tag === current);
}
