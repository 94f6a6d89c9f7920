/**
 * Distribute (job 1010): send HQ's answer back to the channel: the real account number and the
 * state of each operation, so the storefront stops showing "Pending sync".
 */
import type { ChannelCustomer, ChannelStore } from '../channel/channel-store';
import type { OperationRecord, StagedOperation } from '../domain/operation';
import type { HqCustomer } from '../hq/hq-service';
import { isNotFound } from '../storage/documents';

export class Distributor {
  constructor(
    private readonly channel: ChannelStore,
    private readonly log: (message: string) => void = () => {},
  ) {}

  async distribute(customerId: string, hqCustomer: HqCustomer | undefined, operations: StagedOperation[]): Promise<void> {
    if (operations.length === 0 && !hqCustomer) return;
    // In the channel's numbering: HQ is ahead by the counters real-time calls took unrecorded.
    const hq = hqCustomer && { accountNumber: hqCustomer.accountNumber, appliedCounter: hqCustomer.appliedCounter - (hqCustomer.counterShift ?? 0) };
    const records = operations.map(channelRecord);
    try {
      await this.channel.recordDistribution(customerId, hq, records);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.restoreLost(customerId, hqCustomer, hq, records);
    }
  }

  /**
   * The channel no longer has the customer while its operations reached HQ: the channel's write
   * was lost after the queue message was sent (an emptied or restarted Cosmos emulator, local data
   * deleted by hand). The sign-up or edit was answered 2xx, so the customer must not vanish: HQ is
   * the customer master, and 1010 gives the channel the customer back from HQ. Without an HQ
   * customer (HQ rejected the create) there is nothing to give back: staging records HQ's answer
   * (Failed, with its error) for operators to see, instead of the run failing on it forever.
   */
  private async restoreLost(
    customerId: string,
    hqCustomer: HqCustomer | undefined,
    hq: { accountNumber: string; appliedCounter: number } | undefined,
    records: OperationRecord[],
  ): Promise<void> {
    if (!hqCustomer || !hq) {
      this.log(`distribute: customer ${customerId} is in neither the channel nor HQ; its operations' state stays in HQ staging`);
      return;
    }
    if (await this.channel.create(restoredFromHq(hqCustomer, hq.appliedCounter, records))) {
      this.log(`distribute: customer ${customerId} was missing from the channel; restored from HQ`);
      return;
    }
    // Created meanwhile (a retried sign-up): distribute to it as usual.
    await this.channel.recordDistribution(customerId, hq, records);
  }
}

/** A channel customer rebuilt from HQ's record, with the operations just distributed. */
export function restoredFromHq(hq: HqCustomer, appliedCounter: number, records: OperationRecord[]): ChannelCustomer {
  const { id, accountNumber, custAccountAsync, channelId, appliedCounter: _a, lastOperation: _l, counterShift: _s, createdAt, updatedAt: _u, ...profile } = hq;
  return {
    ...profile,
    id,
    channelId,
    // HQ does not keep the storefront identity; the id is derived from it, so a retried sign-up still finds this customer.
    externalIdentity: null,
    custAccountAsync,
    accountNumber,
    mode: custAccountAsync ? 'async' : 'realtime',
    replicationCounter: appliedCounter,
    hqAppliedCounter: appliedCounter,
    operations: Object.fromEntries(records.map((op) => [op.operationId, op])),
    createdAt,
    updatedAt: new Date().toISOString(),
  };
}

export function channelRecord(op: StagedOperation): OperationRecord {
  return {
    operationId: op.operationId,
    entity: op.entity,
    operation: op.operation,
    replicationCounter: op.replicationCounter,
    status: op.status,
    createdAt: op.createdAt,
    uploadedAt: op.uploadedAt,
    completedAt: op.completedAt,
    attempts: op.attempts,
    lastError: op.lastError,
    payload: op.payload,
  };
}
