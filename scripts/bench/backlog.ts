/**
 * Sign-up bodies and the channel-side writes of an async sign-up, shared by the scenarios and
 * the floors so both move the same bytes.
 */
import { randomUUID } from 'node:crypto';
import { encodeMessage } from '../../shared/adapters/queue/operation-queue';
import { ChannelCustomerDocument, toDocument } from '../../shared/adapters/cosmos/channel-customers';
import { newChannelCustomer, signUpOperations } from '../../shared/core/domain/channel-customer';
import { customerIdFor } from '../../shared/core/domain/identity';
import { parseStrict, signUpSchema } from '../../shared/core/domain/validation';

/** A storefront sign-up body with a unique identity (the same shape the tests use). */
export function signUpBody(n: number): Record<string, unknown> {
  return {
    externalIdentity: { provider: 'b2c', id: `bench-${n}-${randomUUID().slice(0, 8)}` },
    firstName: `First${n}`,
    lastName: `Last${n}`,
    email: `user${n}@example.com`,
  };
}

/**
 * What an async sign-up writes, built without the service: the channel customer document (with
 * the search keys the Cosmos adapter adds) and the queue message of its create operation. Built
 * by the same domain functions and document mapping as the app's, so the floors write the same
 * bytes the app does.
 */
export function bareSignUp(channelId: string, n: number): { doc: ChannelCustomerDocument; message: string; customerId: string } {
  const request = parseStrict(signUpSchema, signUpBody(n));
  const customerId = customerIdFor(channelId, request.externalIdentity);
  const custAccountAsync = randomUUID();
  const operations = signUpOperations({ customerId, channelId, custAccountAsync, customerAccount: null }, request, new Date().toISOString());
  const doc = toDocument(newChannelCustomer(customerId, channelId, request, 'async', custAccountAsync, null, operations, 'Pending'));
  return { doc, message: encodeMessage(operations[0]), customerId };
}
