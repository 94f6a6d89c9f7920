/**
 * Distribute (job 1010): send HQ's answer back to the channel: the real account number and the
 * state of each operation, so the storefront stops showing "Pending sync".
 */
import type { ChannelCustomers } from '../ports/channel-customers';
import type { OperationRecord, StagedOperation } from '../domain/operation';
import type { HqCustomer } from '../domain/hq-customer';

export class Distributor {
  constructor(private readonly channel: ChannelCustomers) {}

  async distribute(customerId: string, hqCustomer: HqCustomer | undefined, operations: StagedOperation[]): Promise<void> {
    if (operations.length === 0 && !hqCustomer) return;
    await this.channel.recordDistribution(
      customerId,
      // In the channel's numbering: HQ is ahead by the counters real-time calls took unrecorded.
      hqCustomer && { accountNumber: hqCustomer.accountNumber, appliedCounter: hqCustomer.appliedCounter - (hqCustomer.counterShift ?? 0) },
      operations.map(channelRecord),
    );
  }
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
