/**
 * Distribute (job 1010): send HQ's answer back to the channel: the real account number and the
 * state of each operation, so the storefront stops showing "Pending sync".
 */
import { restoredFromHq } from '../domain/channel-customer';
import type { HqCustomer } from '../domain/hq-customer';
import type { OperationRecord, StagedOperation } from '../domain/operation';
import type { ChannelCustomers, DistributedState } from '../ports/channel-customers';
import type { Clock } from '../ports/clock';
import { MissingRecordError } from '../ports/errors';
import type { WebhookEvents } from './webhook-events';

export class Distributor {
  constructor(
    private readonly channel: ChannelCustomers,
    private readonly clock: Clock,
    private readonly log: (message: string) => void = () => {},
    private readonly events?: Pick<WebhookEvents, 'customerSynced'>,
  ) {}

  /**
   * Writes HQ's answer to the channel. When it completes the customer's create, the channel now
   * knows the account number: that is the `customer.synced` event, recorded after the channel
   * write (it is true then) and before the caller marks staging (so a crash in between records it
   * on the retry).
   */
  async distribute(customerId: string, hqCustomer: HqCustomer | undefined, operations: StagedOperation[]): Promise<void> {
    if (operations.length === 0 && !hqCustomer) return;
    // In the channel's numbering: HQ is ahead by the counters real-time calls took unrecorded.
    const hq = hqCustomer && { accountNumber: hqCustomer.accountNumber, appliedCounter: hqCustomer.appliedCounter - (hqCustomer.counterShift ?? 0) };
    const records = operations.map(channelRecord);
    let known = true;
    try {
      await this.channel.recordDistribution(customerId, hq, records);
    } catch (error) {
      if (!(error instanceof MissingRecordError)) throw error;
      known = await this.restoreLost(customerId, hqCustomer, hq, records);
    }
    const create = operations.find((op) => op.entity === 'Customer' && op.operation === 'Create' && op.status === 'Completed');
    if (create && hqCustomer && known && this.events) {
      await this.events.customerSynced({
        channelId: create.channelId,
        customerId,
        custAccountAsync: create.custAccountAsync ?? hqCustomer.custAccountAsync,
        accountNumber: hqCustomer.accountNumber,
        createOperationId: create.operationId,
      });
    }
  }

  /**
   * The channel no longer has the customer while its operations reached HQ: the channel's write
   * was lost after the queue message was sent (an emptied or restarted Cosmos emulator, local data
   * deleted by hand). The sign-up or edit was answered 2xx, so the customer must not vanish: HQ is
   * the customer master, and 1010 gives the channel the customer back from HQ. Without an HQ
   * customer (HQ rejected the create) there is nothing to give back: staging records HQ's answer
   * (Failed, with its error) for operators to see, instead of the run failing on it forever.
   * Answers whether the channel has the customer now.
   */
  private async restoreLost(
    customerId: string,
    hqCustomer: HqCustomer | undefined,
    hq: DistributedState | undefined,
    records: OperationRecord[],
  ): Promise<boolean> {
    if (!hqCustomer || !hq) {
      this.log(`distribute: customer ${customerId} is in neither the channel nor HQ; its operations' state stays in HQ staging`);
      return false;
    }
    if (await this.channel.create(restoredFromHq(hqCustomer, hq.appliedCounter, records, this.clock.now().toISOString()))) {
      this.log(`distribute: customer ${customerId} was missing from the channel; restored from HQ`);
      return true;
    }
    // Created meanwhile (a retried sign-up): distribute to it as usual.
    await this.channel.recordDistribution(customerId, hq, records);
    return true;
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
