import { createHash, randomUUID } from 'node:crypto';

/** Namespace for customer ids derived from a storefront identity (a fixed random UUID). */
const CUSTOMER_NAMESPACE = 'a7e1c2f4-5b1d-4c8e-9a63-2f0d8b6e4c11';

/** RFC 4122 version 5 (name-based, SHA-1) UUID. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface ExternalIdentity {
  provider: string;
  id: string;
}

/**
 * The channel customer id is derived from the channel and the storefront identity, so a retried
 * sign-up lands on the same document and Cosmos' unique id refuses the duplicate: exactly one
 * customer per identity without a second write to claim it.
 */
export function customerIdFor(channelId: string, identity: ExternalIdentity): string {
  return uuidV5(JSON.stringify([channelId, identity.provider, identity.id]), CUSTOMER_NAMESPACE);
}

/** An operation id derived from an Idempotency-Key, so a retried edit queues the same operation. */
export function operationIdFor(customerId: string, idempotencyKey: string | undefined): string {
  return idempotencyKey ? uuidV5(JSON.stringify([customerId, idempotencyKey]), CUSTOMER_NAMESPACE) : randomUUID();
}

/**
 * The id of a sign-up's operation #counter. A real-time sign-up whose HQ write took effect but
 * whose channel write failed is retried by the client; the retry must carry the ids HQ already
 * holds, or HQ would take its create for another operation on a counter already taken.
 * (A three-element name cannot collide with an Idempotency-Key's two-element one.)
 */
export function signUpOperationId(customerId: string, counter: number): string {
  return uuidV5(JSON.stringify([customerId, 'sign-up', counter]), CUSTOMER_NAMESPACE);
}

export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
