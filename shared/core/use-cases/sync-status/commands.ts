/**
 * "Customer synchronization status", the commands: Save (an operator fixes a queued operation's
 * payload) and Synchronize (process one customer's outstanding operations now).
 */
import { z } from 'zod';
import type { ChannelCustomer } from '../../domain/channel-customer';
import { CUSTOMER_FIELD_NAMES } from '../../domain/customer';
import { DomainError } from '../../domain/errors';
import type { SyncCounts } from '../../domain/sync-run';
import { parseStrict, payloadSchemaFor, ValidationError } from '../../domain/validation';
import type { ChannelCustomers } from '../../ports/channel-customers';
import type { Clock } from '../../ports/clock';
import { StaleVersionError } from '../../ports/errors';
import type { Staging } from '../../ports/staging';
import type { StagedDoc, SyncStatusReadModel } from '../../ports/sync-status-read-model';
import { channelRecord } from '../distribute';
import type { Synchronizer } from '../synchronize';
import type { OperationDetail, SyncStatusQueries } from './queries';
import { fillAccounts, locate, replay, SyncStatusRow } from './rows';

/** Fields that name the record an operation adds; changing them would make it another record. */
const IDENTITY_FIELDS = ['addressId', 'contactId'];
/** Concurrent writers (distribution patches) a channel copy outlasts before giving up. */
const CHANNEL_COPY_ATTEMPTS = 5;

/**
 * Not `z.record`: it drops a `"__proto__"` key without a word, and Save then wrote an unchanged
 * payload (attempts reset, 200) for `{"payload":{"__proto__":{"status":"Completed"}}}`. The
 * payload's own keys go to the merge as they are, and the entity's strict schema names any stranger.
 */
export const saveBody = z.strictObject({
  payload: z
    .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be an object')
    .meta({ description: "A JSON merge patch (RFC 7396) of the operation's payload: given fields replace, null removes an optional one." }),
});

/** Whether a Save may apply to the operation at this version (the HTTP layer answers from If-Match). */
export type ExpectedVersion = (version: string) => boolean;

export interface SyncStatusCommandDeps {
  readModel: SyncStatusReadModel;
  staging: Staging;
  channel: Pick<ChannelCustomers, 'read' | 'replace'>;
  synchronizer: Pick<Synchronizer, 'synchronizeCustomer'>;
  queries: SyncStatusQueries;
  clock: Clock;
  log?: (message: string) => void;
}

export class SyncStatusCommands {
  constructor(private readonly deps: SyncStatusCommandDeps) {}

  /**
   * Save: replace the payload of a staged operation that is not Completed, if it is still the
   * version the operator read. The new payload is validated as the storefront would validate it.
   * A Failed operation stays Failed (the row must not claim a success that has not happened) but
   * its attempts restart at 0, so automatic retries resume with the fix; the channel's copy of
   * the payload is updated too, so a re-queue from the channel carries the fix as well.
   */
  async save(operationId: string, expected: ExpectedVersion | undefined, body: unknown): Promise<OperationDetail> {
    const located = await locate(operationId, this.deps.staging, this.deps.readModel);
    if (located.source === 'channel') {
      throw new DomainError('Conflict', 'the operation is still Pending in the channel (not uploaded to HQ staging yet); run sync, then edit it', {
        reason: 'OperationNotUploaded',
        operationId,
      });
    }
    if (!expected) {
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
    const schema = payloadSchemaFor(doc);
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
    const changedSinceRead = () =>
      new DomainError('PreconditionFailed', 'the operation changed since you read it; reload it and apply your change again', { operationId });
    if (!expected(etag)) throw changedSinceRead();

    const updated: StagedDoc = {
      ...doc,
      payload,
      ...(doc.entity === 'Customer' && typeof payload.email === 'string' ? { email: payload.email } : {}),
      ...(doc.status === 'Failed' ? { attempts: 0 } : {}),
      lastRunId: null,
      editedAt: this.deps.clock.now().toISOString(),
    };
    try {
      await this.deps.staging.replace(updated, etag);
    } catch (error) {
      if (!(error instanceof StaleVersionError)) throw error;
      throw changedSinceRead();
    }
    await this.copyToChannel(updated);
    this.deps.log?.(`ops: operation ${operationId} of customer ${doc.customerId} saved by an operator`);
    return this.deps.queries.detail(operationId);
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
    const located = await locate(operationId, this.deps.staging, this.deps.readModel);
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
    const runId = `manual@${this.deps.clock.now().toISOString()}`;
    const counts = await this.deps.synchronizer.synchronizeCustomer(located.doc.customerId, runId);
    this.deps.log?.(`ops: customer ${located.doc.customerId} synchronized on demand (${runId}): ${counts.completed} completed, ${counts.failed} failed`);
    const after = await this.deps.staging.read(located.doc.customerId, operationId);
    const row = this.deps.queries.stagedRow(after?.doc ?? located.doc);
    await fillAccounts([row], this.deps.readModel);
    return { operation: row, counts, runId };
  }

  /**
   * The channel keeps a copy of each operation's payload (to queue it again) and shows the
   * customer as its operations make it: both follow the operator's fix. Best effort against
   * concurrent writers: a distribution patch in between makes the replace retry.
   */
  private async copyToChannel(op: StagedDoc): Promise<void> {
    for (let attempt = 0; attempt < CHANNEL_COPY_ATTEMPTS; attempt++) {
      const current = await this.deps.channel.read(op.customerId);
      if (!current || !current.doc.operations[op.operationId]) return;
      const operations = { ...current.doc.operations, [op.operationId]: channelRecord(op) };
      const withoutFields = { ...current.doc } as Record<string, unknown>;
      for (const field of CUSTOMER_FIELD_NAMES) delete withoutFields[field];
      const profile = replay(operations) ?? current.doc;
      const updated = { ...withoutFields, ...profile, operations, updatedAt: this.deps.clock.now().toISOString() } as ChannelCustomer;
      try {
        await this.deps.channel.replace(updated, current.etag);
        return;
      } catch (error) {
        if (!(error instanceof StaleVersionError)) throw error;
      }
    }
    this.deps.log?.(`ops: channel copy of operation ${op.operationId} not updated (kept changing); the staged fix stands`);
  }
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
