/**
 * Upload (the P-job): drain the channel's queue into HQ staging. A message is deleted only after
 * its operation is staged, so a crash anywhere leaves it to be delivered again; staging ignores
 * an operation it already has, so a second delivery changes nothing.
 */
import { z } from 'zod';
import { AsyncOperation, ENTITIES, OPERATION_KINDS, sortKey, StagedOperation } from '../domain/operation';
import { GUID } from '../domain/identity';
import { addCounts, emptyCounts, UploadResult } from '../domain/sync-run';
import { toStaged } from '../domain/operation';
import type { Clock } from '../ports/clock';
import type { OperationQueue, ReceivedMessage } from '../ports/operation-queue';
import type { Staging } from '../ports/staging';
import type { Reconciler } from './reconcile';
import type { Synchronizer } from './synchronize';
import type { WebhookEvents } from './webhook-events';

/** A decoded operation larger than this is poison: the queue's own limit is 64 KB of base64. */
export const MAX_OPERATION_BYTES = 48 * 1024;

const operationSchema = z.strictObject({
  operationId: z.string().regex(GUID),
  customerId: z.string().regex(GUID),
  channelId: z.string().regex(/^[A-Za-z0-9_]+$/),
  custAccountAsync: z.string().regex(GUID).nullable(),
  customerAccount: z.string().max(20).nullable(),
  entity: z.enum(ENTITIES),
  operation: z.enum(OPERATION_KINDS),
  replicationCounter: z.number().int().positive(),
  payload: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
  email: z.string().nullable(),
});

export interface UploadOptions {
  maxMessages: number;
  /**
   * How long a received message stays invisible: long enough to stage and synchronize a batch of
   * 32, short enough that a message a dead process had received comes back within seconds.
   */
  visibilityTimeoutSeconds?: number;
  /** Receive loops running at once. */
  concurrency?: number;
  /**
   * The sync run this upload belongs to. With it, what each receive stages is synchronized into
   * HQ at once (streaming), before its messages are deleted; without it, upload only stages.
   */
  runId?: string;
  /** Stage the channel's never-queued operations first (default true; a streaming pass skips it). */
  reconcile?: boolean;
}

/** See UploadOptions.visibilityTimeoutSeconds. */
export const VISIBILITY_TIMEOUT_SECONDS = 30;

interface Staged {
  message: ReceivedMessage;
  operation: StagedOperation;
}

type Decoded = { ok: true; operation: AsyncOperation } | { ok: false; reason: string; partial?: Partial<AsyncOperation> };

export class Uploader {
  constructor(
    private readonly queue: OperationQueue,
    private readonly staging: Staging,
    private readonly clock: Clock,
    private readonly log: (message: string) => void = () => {},
    private readonly reconciler?: Reconciler,
    private readonly synchronizer?: Pick<Synchronizer, 'synchronizeStaged' | 'hqAvailable'>,
    private readonly events?: Pick<WebhookEvents, 'syncFailed'>,
  ) {}

  async upload(options: UploadOptions): Promise<UploadResult> {
    const result: UploadResult = { received: 0, uploaded: 0, duplicates: 0, poisoned: 0, errors: 0 };
    const streaming = options.runId !== undefined && this.synchronizer !== undefined;
    if (streaming) {
      // While HQ is servicing the operations wait on the queue, where nothing can go stale.
      if (!this.synchronizer.hqAvailable()) return { ...result, hqUnavailable: true };
      result.synchronized = emptyCounts();
    }
    // First the operations the channel accepted but never queued (see reconcile.ts). It is a
    // safety net: storage trouble there must not keep the queue from draining.
    if (this.reconciler && options.reconcile !== false) {
      try {
        const reconciled = await this.reconciler.reconcile();
        result.uploaded += reconciled.staged;
        result.reconciled = reconciled.staged;
        result.errors += reconciled.errors;
      } catch (error) {
        result.errors++;
        this.log(`upload: reconciliation left for a later run: ${(error as Error).message}`);
      }
    }
    let budget = options.maxMessages;
    const loop = async () => {
      while (budget > 0) {
        const take = Math.min(32, budget);
        budget -= take;
        const messages = await this.queue.receive(take, options.visibilityTimeoutSeconds ?? VISIBILITY_TIMEOUT_SECONDS);
        budget += take - messages.length;
        if (messages.length === 0) return;
        result.received += messages.length;
        const staged = await Promise.all(messages.map((m) => this.stageOne(m, result)));
        if (streaming) {
          const ready = staged.filter((s): s is Staged => s !== undefined);
          const counts = await this.synchronizer.synchronizeStaged(
            ready.map((s) => s.operation),
            options.runId!,
          );
          result.synchronized = addCounts(result.synchronized!, counts);
          await Promise.all(ready.map((s) => this.deleteOne(s.message, result)));
        } else {
          await Promise.all(staged.filter((s) => s !== undefined).map((s) => this.deleteOne(s.message, result)));
        }
      }
    };
    // Every loop settles before the activity answers: none may go on draining behind a failed one
    // (a failed receive), while the orchestration's retry of this activity already runs.
    const loops = await Promise.allSettled(Array.from({ length: options.concurrency ?? 4 }, loop));
    const failed = loops.find((loop): loop is PromiseRejectedResult => loop.status === 'rejected');
    if (failed) throw failed.reason;
    return result;
  }

  /**
   * One message staged (a poison one set aside). Storage trouble with it (staging, the poison
   * queue) leaves it on the queue, to be delivered again once its visibility timeout passes; the
   * rest of the batch goes on. A duplicate (delivered again after a crash) is synchronized too:
   * the first delivery may have died between staging and synchronizing.
   */
  private async stageOne(message: ReceivedMessage, result: UploadResult): Promise<Staged | undefined> {
    try {
      const decoded = decode(message.messageText);
      if (!decoded.ok) {
        await this.setAside(message, decoded);
        result.poisoned++;
        return undefined;
      }
      const operation = toStaged(decoded.operation, this.clock.now().toISOString());
      if (await this.staging.stage(operation)) result.uploaded++;
      else result.duplicates++;
      return { message, operation };
    } catch (error) {
      result.errors++;
      this.log(`upload: message ${message.messageId} left on the queue for a later run: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** The message's operation is staged (and synchronized, when streaming): its work is done. */
  private async deleteOne(message: ReceivedMessage, result: UploadResult): Promise<void> {
    try {
      await this.queue.delete(message);
    } catch (error) {
      // Staged already: a second delivery finds it there and changes nothing.
      result.errors++;
      this.log(`upload: message ${message.messageId} staged but not deleted; it comes back as a duplicate: ${(error as Error).message}`);
    }
  }

  /**
   * A message the app did not write (or cannot read) is moved to the poison queue and recorded as
   * a Failed row operators can see, then deleted, so it never blocks the queue.
   */
  private async setAside(message: ReceivedMessage, decoded: Extract<Decoded, { ok: false }>): Promise<void> {
    await this.queue.setAside(message);
    const now = this.clock.now().toISOString();
    const partial = decoded.partial ?? {};
    const customerId = typeof partial.customerId === 'string' && GUID.test(partial.customerId) ? partial.customerId : 'poison';
    const row: StagedOperation & { poison: true } = {
      id: `poison-${message.messageId}`,
      operationId: `poison-${message.messageId}`,
      customerId,
      channelId: typeof partial.channelId === 'string' ? partial.channelId.slice(0, 50) : '',
      custAccountAsync: null,
      customerAccount: null,
      entity: ENTITIES.includes(partial.entity as never) ? partial.entity! : 'Customer',
      operation: OPERATION_KINDS.includes(partial.operation as never) ? partial.operation! : 'Create',
      replicationCounter: 0,
      payload: {},
      createdAt: now,
      email: null,
      onlineOperationCompleted: 0,
      status: 'Failed',
      attempts: 0,
      lastError: `poison message set aside to the poison queue: ${decoded.reason}`,
      uploadedAt: now,
      completedAt: null,
      lastRunId: null,
      sortKey: sortKey(now, `poison-${message.messageId}`),
      shard: 0,
      poison: true,
    };
    await this.staging.stage(row);
    // A poison row waits for an operator; its channel's receiver is told, when the message names
    // one with a webhook. Before the delete: a crash in between sets it aside (and records) again.
    if (row.channelId && this.events) {
      await this.events.syncFailed({
        channelId: row.channelId,
        operationId: row.operationId,
        customerId: row.customerId === 'poison' ? null : row.customerId,
        custAccountAsync: typeof partial.custAccountAsync === 'string' && GUID.test(partial.custAccountAsync) ? partial.custAccountAsync : null,
        entity: row.entity,
        operation: row.operation,
        attempts: row.attempts,
        error: row.lastError,
      });
    }
    await this.queue.delete(message);
    this.log(`upload: message ${message.messageId} set aside as poison (${decoded.reason})`);
  }
}

export function decode(messageText: string): Decoded {
  let text = messageText;
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(messageText.trim())) text = Buffer.from(messageText, 'base64').toString('utf8');
  if (Buffer.byteLength(text, 'utf8') > MAX_OPERATION_BYTES) return { ok: false, reason: `over the size limit of ${MAX_OPERATION_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const parsed = operationSchema.safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const partial = json && typeof json === 'object' ? (json as Partial<AsyncOperation>) : undefined;
    return { ok: false, reason: `wrong schema at /${first.path.join('/')}: ${first.message}`, partial };
  }
  return { ok: true, operation: parsed.data };
}
