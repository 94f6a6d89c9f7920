/**
 * Sign-up bodies and the channel-side writes of an async sign-up, shared by the scenarios and
 * the floors so both move the same bytes.
 */
import { randomUUID } from 'node:crypto';
import { encodeMessage } from '../../shared/adapters/queue/operation-queue';
import { signUpOperations } from '../../shared/core/domain/channel-customer';
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
 * What an async sign-up writes, built without the service: the channel customer document and
 * the queue message of its create operation. The floors write these, so they pay for the same
 * document and message sizes as the app.
 */
export function bareSignUp(channelId: string, n: number): { doc: Record<string, unknown>; message: string; customerId: string } {
  const request = parseStrict(signUpSchema, signUpBody(n));
  const customerId = customerIdFor(channelId, request.externalIdentity);
  const custAccountAsync = randomUUID();
  const [op] = signUpOperations({ customerId, channelId, custAccountAsync, customerAccount: null }, request, new Date().toISOString());
  const { externalIdentity, addresses: _a, contacts: _c, affiliations: _f, attributes: _t, ...fields } = request;
  const doc = {
    ...fields,
    id: customerId,
    channelId,
    externalIdentity,
    custAccountAsync,
    accountNumber: null,
    mode: 'async',
    replicationCounter: 1,
    hqAppliedCounter: 0,
    operations: {
      [op.operationId]: {
        operationId: op.operationId,
        entity: op.entity,
        operation: op.operation,
        replicationCounter: 1,
        status: 'Pending',
        createdAt: op.createdAt,
        uploadedAt: null,
        completedAt: null,
        attempts: 0,
        lastError: null,
        payload: op.payload,
      },
    },
    createdAt: op.createdAt,
    updatedAt: op.createdAt,
  };
  return { doc, message: encodeMessage(op), customerId };
}
