/**
 * The channel customer aggregate and HQ's application plan as properties, without I/O: whatever
 * order a customer's operations arrive in and whichever of them HQ already has, HQ applies each
 * exactly once, in replicationCounter order, and the channel's outstanding operations are exactly
 * those HQ has not applied.
 */
import fc from 'fast-check';
import { newChannelCustomer, outstandingOperations, signUpOperations, withOperations } from '../../shared/core/domain/channel-customer';
import { planApplication } from '../../shared/core/domain/hq-customer';
import type { AsyncOperation } from '../../shared/core/domain/operation';
import { parseStrict, signUpSchema } from '../../shared/core/domain/validation';

const CUSTOMER_ID = '7d0a3e2c-5b1f-4c7e-9a3d-2f6b8c1e4a90';
const AT = '2026-12-01T10:00:00.000Z';

/** A customer signed up (create + its addresses) and then edited `edits` times. */
function history(addresses: number, edits: number) {
  const request = parseStrict(signUpSchema, {
    externalIdentity: { provider: 'b2c', id: 'property' },
    firstName: 'Ann',
    lastName: 'Lee',
    email: 'ann@example.com',
    addresses: Array.from({ length: addresses }, (_, i) => ({ street: `${i} Main St`, city: `City${i}`, countryRegionId: 'USA' })),
  });
  const ref = { customerId: CUSTOMER_ID, channelId: 'FABRIKAM', custAccountAsync: '0b7c2f1e-3a4d-4e5f-8a9b-1c2d3e4f5a6b', customerAccount: null };
  let customer = newChannelCustomer(CUSTOMER_ID, 'FABRIKAM', request, 'async', ref.custAccountAsync, null, signUpOperations(ref, request, AT), 'Pending');
  const operations: AsyncOperation[] = signUpOperations(ref, request, AT);
  for (let i = 0; i < edits; i++) {
    const edit: AsyncOperation = {
      ...ref,
      email: customer.email,
      operationId: `e${i}`.padEnd(8, '0') + CUSTOMER_ID.slice(8),
      entity: 'Customer',
      operation: 'Update',
      replicationCounter: customer.replicationCounter + 1,
      payload: { firstName: `Ann${i}` },
      createdAt: AT,
    };
    customer = withOperations(customer, [edit], 'Pending', AT);
    operations.push(edit);
  }
  return { customer, operations };
}

const shape = fc.record({ addresses: fc.nat(3), edits: fc.nat(4) });

test('HQ applies every operation exactly once, in counter order, whatever order and split they arrive in', () => {
  fc.assert(
    fc.property(shape, fc.nat(), fc.integer({ min: 1, max: 4 }), ({ addresses, edits }, seed, parts) => {
      const { operations } = history(addresses, edits);
      // A delivery order: the operations shuffled (deterministically from the seed) and cut into parts.
      const shuffled = [...operations].sort(
        (a, b) =>
          ((a.operationId.charCodeAt(1) * 31 + seed) % 97) - ((b.operationId.charCodeAt(1) * 31 + seed) % 97) || a.replicationCounter - b.replicationCounter,
      );
      const batches = Array.from({ length: parts }, (_, p) => shuffled.filter((_, i) => i % parts === p));
      let hq: ReturnType<typeof planApplication>['customer'];
      const appliedOrder: number[] = [];
      // Deliver the batches again and again (as redeliveries and later runs do) until nothing moves.
      for (let round = 0; round < operations.length + 2; round++) {
        for (const batch of batches) {
          const plan = planApplication(hq, batch, 'sync');
          if (plan.applied.length === 0) continue;
          appliedOrder.push(...plan.applied.map((op) => op.replicationCounter));
          hq = {
            ...plan.profile!,
            id: CUSTOMER_ID,
            accountNumber: hq?.accountNumber ?? 'C000000001',
            custAccountAsync: null,
            channelId: 'FABRIKAM',
            appliedCounter: plan.appliedCounter,
            lastOperation: { operationId: plan.applied.at(-1)!.operationId, entity: 'Customer', operation: 'Update' },
            counterShift: plan.counterShift,
            createdAt: AT,
            updatedAt: AT,
          };
        }
      }
      expect(appliedOrder).toEqual(operations.map((op) => op.replicationCounter));
      expect(hq?.appliedCounter).toBe(operations.length);
      if (edits > 0) expect(hq?.firstName).toBe(`Ann${edits - 1}`);
      expect(hq?.addresses).toHaveLength(addresses);
    }),
  );
});

test("the channel's outstanding operations are exactly those HQ has not applied", () => {
  fc.assert(
    fc.property(shape, fc.nat(), ({ addresses, edits }, applied) => {
      const { customer, operations } = history(addresses, edits);
      const hqApplied = applied % (operations.length + 1);
      const outstanding = outstandingOperations({ ...customer, hqAppliedCounter: hqApplied });
      expect(outstanding.map((op) => op.replicationCounter).sort((a, b) => a - b)).toEqual(
        operations.filter((op) => op.replicationCounter > hqApplied).map((op) => op.replicationCounter),
      );
      expect(customer.replicationCounter).toBe(operations.length);
    }),
  );
});
