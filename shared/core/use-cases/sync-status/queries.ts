/**
 * "Customer synchronization status" (Commerce and Retail > Customers), the read side: the list,
 * one operation's detail, and the metrics above the list. Every operation comes from one of two
 * sources:
 *
 * - HQ staging holds what upload has taken in: Uploaded, Completed, Failed and the Failed rows of
 *   poison messages.
 * - The channel holds what is not in staging yet: an operation in a channel customer's
 *   `operations` map whose status is still Pending and whose id staging does not know. (The
 *   channel is not told about upload, so "Pending in the channel" alone would also list uploaded
 *   operations: staging is asked which of the candidates it already has.)
 *
 * Both sources are paged newest first by keyset on `sortKey` (`createdAt|operationId`), so a page
 * of the merged list is the top of each source's page below the cursor, with no offsets and no
 * state between requests.
 *
 * The channel side reads only customers with outstanding operations, newest `updatedAt` first.
 * Every operation of a customer was created at or before the customer's `updatedAt`, which bounds
 * what later customers can contribute and lets a page stop early.
 */
import { z } from 'zod';
import type { AppConfig } from '../../config/settings';
import { changeDescriptionSchema, describeChange } from '../../domain/change-description';
import { ASYNC_TABLE, STATUSES } from '../../domain/operation';
import { syncRunSchema } from '../../domain/sync-run';
import { payloadSchemaFor } from '../../domain/validation';
import type { ChannelCustomers } from '../../ports/channel-customers';
import type { Clock } from '../../ports/clock';
import type { OperationQueue } from '../../ports/operation-queue';
import type { RunLog } from '../../ports/run-log';
import type { Staging } from '../../ports/staging';
import type { SyncStatusFilter, SyncStatusReadModel } from '../../ports/sync-status-read-model';
import { webhookMetricsSchema, type WebhookDeliverer } from '../deliver-webhooks';
import type { HqService } from '../hq';
import type { ListQuery } from './list-query';
import { encodePageToken } from '../query-string';
import { fillAccounts, locate, newestFirst, pendingRow, replay, stagedRow, SyncStatusRow, syncStatusRowSchema } from './rows';

/** One operation with what the detail pane shows; the HTTP layer turns `version` into the ETag. */
export const operationDetailSchema = syncStatusRowSchema.extend({
  table: z.string().meta({ description: 'The async table the operation mirrors, e.g. RETAILASYNCCUSTOMERV2.' }),
  /** Where the row lives: HQ staging, or the channel (not uploaded yet; not editable here). */
  source: z.enum(['staging', 'channel']),
  /** The version to send back with a Save (the HTTP layer's ETag); null for channel-only operations. */
  version: z.string().nullable(),
  uploadedAt: z.iso.datetime().nullable(),
  completedAt: z.iso.datetime().nullable(),
  editedAt: z.iso.datetime().nullable(),
  payload: z.record(z.string(), z.unknown()),
  change: changeDescriptionSchema,
  failure: z
    .object({ lastError: z.string().nullable(), attempts: z.int(), maxAttempts: z.int(), retriesAutomatically: z.boolean(), poison: z.boolean() })
    .nullable(),
  /** Why an Uploaded operation did not move in the last run (e.g. waiting behind a failed one). */
  waitingReason: z.string().nullable(),
  editable: z.boolean(),
});
export type OperationDetail = z.output<typeof operationDetailSchema>;

export const syncStatusPageSchema = z.object({
  items: z.array(syncStatusRowSchema),
  continuationToken: z.string().nullable().meta({ description: 'Opaque; pass it back for the next page. Null on the last page.' }),
});
export type SyncStatusPage = z.output<typeof syncStatusPageSchema>;

/** The window of the live time-to-HQ figures. */
export const TIME_TO_HQ_WINDOW = { minutes: 15, maxSamples: 1000 } as const;

/** Accepted -> account number known to the channel, over the customers synchronized in the window. */
export const timeToHqSchema = z
  .object({
    p50Ms: z.number().min(0).nullable(),
    p95Ms: z.number().min(0).nullable(),
    p99Ms: z.number().min(0).nullable(),
    samples: z.int().min(0),
    window: z.object({ minutes: z.int(), maxSamples: z.int() }),
  })
  .meta({
    id: 'TimeToHq',
    description:
      "From a sign-up's acceptance to its account number known to the channel, over the customers synchronized in the window (nearest-rank percentiles; null without samples).",
  });
export type TimeToHq = z.output<typeof timeToHqSchema>;

export const opsMetricsSchema = z.object({
  counts: z.object({ Pending: z.int().min(0), Uploaded: z.int().min(0), Completed: z.int().min(0), Failed: z.int().min(0) }) satisfies z.ZodType<
    Record<(typeof STATUSES)[number], number>
  >,
  failedWaitingForOperator: z.int().min(0),
  poisonRows: z.int().min(0),
  /** The oldest operation that is not in HQ yet and not failed (Pending or Uploaded). */
  oldestPending: z.object({ createdAt: z.iso.datetime(), ageSeconds: z.int().min(0) }).nullable(),
  oldestPendingAgeSeconds: z.int().min(0).nullable(),
  queue: z.object({ name: z.string(), queued: z.int().min(0), poisoned: z.int().min(0) }),
  lastRun: syncRunSchema.nullable(),
  timeToHq: timeToHqSchema,
  /** Completion webhooks of the channels that have one (all zero and no channels without). */
  webhooks: webhookMetricsSchema,
  generatedAt: z.iso.datetime(),
});
export type OpsMetrics = z.output<typeof opsMetricsSchema>;

export interface SyncStatusQueryDeps {
  config: Pick<AppConfig, 'channels' | 'sync'>;
  readModel: SyncStatusReadModel;
  staging: Staging;
  channel: Pick<ChannelCustomers, 'read'>;
  hq: Pick<HqService, 'getCustomer'>;
  queue: Pick<OperationQueue, 'name' | 'approximateDepth'>;
  runs: RunLog;
  webhooks: Pick<WebhookDeliverer, 'metrics'>;
  clock: Clock;
}

export class SyncStatusQueries {
  constructor(private readonly deps: SyncStatusQueryDeps) {}

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
    await fillAccounts(items, this.deps.readModel);
    return { items, continuationToken: merged.length > limit ? encodePageToken(items[items.length - 1].sortKey) : null };
  }

  async detail(operationId: string): Promise<OperationDetail> {
    const located = await locate(operationId, this.deps.staging, this.deps.readModel);
    if (located.source === 'channel') {
      const { customer, record } = located;
      return {
        ...pendingRow(customer, record, this.channelName(customer.channelId)),
        table: ASYNC_TABLE[record.entity],
        source: 'channel',
        version: null,
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
      version: etag,
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
      editable: doc.status !== 'Completed' && !doc.poison && payloadSchemaFor(doc) !== undefined,
    };
  }

  async metrics(): Promise<OpsMetrics> {
    const now = this.deps.clock.now();
    const since = new Date(now.getTime() - TIME_TO_HQ_WINDOW.minutes * 60_000).toISOString();
    const [staging, pending, depth, runs, completions, webhooks] = await Promise.all([
      this.deps.readModel.stagingCounts(this.deps.config.sync.maxAttempts),
      this.pendingSummary(),
      this.deps.queue.approximateDepth(),
      this.deps.runs.recent(1),
      this.deps.readModel.recentCompletions(since, TIME_TO_HQ_WINDOW.maxSamples),
      this.deps.webhooks.metrics(),
    ]);
    const oldest = [pending.oldest, staging.oldestUploaded].filter((t): t is string => !!t).sort()[0];
    const oldestPending = oldest ? { createdAt: oldest, ageSeconds: Math.max(0, Math.round((now.getTime() - Date.parse(oldest)) / 1000)) } : null;
    return {
      counts: { Pending: pending.count, Uploaded: staging.uploaded, Completed: staging.completed, Failed: staging.failed },
      failedWaitingForOperator: staging.waitingForOperator,
      poisonRows: staging.poison,
      oldestPending,
      oldestPendingAgeSeconds: oldestPending?.ageSeconds ?? null,
      queue: { name: this.deps.queue.name, ...depth },
      lastRun: runs[0] ?? null,
      timeToHq: timeToHq(completions.map((c) => Date.parse(c.completedAt) - Date.parse(c.createdAt))),
      webhooks,
      generatedAt: now.toISOString(),
    };
  }

  private async stagedRows(filter: SyncStatusFilter, before: string | undefined, top: number): Promise<SyncStatusRow[]> {
    const docs = await this.deps.readModel.stagedOperations(filter, { before, top });
    return docs.map((doc) => this.stagedRow(doc));
  }

  private async pendingRows(filter: SyncStatusFilter, after: string | undefined, wanted: number): Promise<SyncStatusRow[]> {
    const rows: SyncStatusRow[] = [];
    const afterCreatedAt = after?.slice(0, after.indexOf('|'));
    for await (const customers of this.deps.readModel.outstandingCustomers(filter, { createdAtOrBefore: afterCreatedAt })) {
      const candidates = customers.flatMap((customer) =>
        Object.values(customer.operations)
          .filter((op) => op.status === 'Pending')
          .map((op) => pendingRow(customer, op, this.channelName(customer.channelId)))
          .filter((row) => (!after || row.sortKey < after) && (!filter.since || row.createdAt >= filter.since))
          .filter((row) => !filter.entity || row.entity === filter.entity),
      );
      const staged = await this.deps.readModel.stagedIds(candidates.map((row) => row.operationId));
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
    for await (const customers of this.deps.readModel.outstandingCustomers({})) {
      const candidates = customers.flatMap((c) => Object.values(c.operations).filter((op) => op.status === 'Pending'));
      const staged = await this.deps.readModel.stagedIds(candidates.map((op) => op.operationId));
      for (const op of candidates) {
        if (staged.has(op.operationId)) continue;
        count++;
        if (!oldest || op.createdAt < oldest) oldest = op.createdAt;
      }
    }
    return { count, oldest };
  }

  stagedRow(doc: Parameters<typeof stagedRow>[0]): SyncStatusRow {
    return stagedRow(doc, this.channelName(doc.channelId), this.deps.config.sync.maxAttempts);
  }

  private channelName(channelId: string): string {
    return this.deps.config.channels.get(channelId)?.name ?? channelId;
  }
}

/** Nearest-rank percentiles of the durations. */
export function timeToHq(durationsMs: number[]): TimeToHq {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);
  return { p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), samples: sorted.length, window: { ...TIME_TO_HQ_WINDOW } };
}
