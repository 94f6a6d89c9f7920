/**
 * The customer as both sides see it, and how an operation changes it. The same function applies
 * operations in the channel (so edits show at once) and in HQ (when synchronized).
 */
import { z } from 'zod';
import type { AsyncOperation, Entity, OperationKind } from './operation';

export const CUSTOMER_TYPES = ['Person', 'Organization'] as const;
export type CustomerType = (typeof CUSTOMER_TYPES)[number];
export type ContactType = 'Email' | 'Phone' | 'Url';
export type AttributeValue = string | number | boolean;

/*
 * The customer's records as stored and answered. Each type is the output of its schema, so what
 * the code builds and what /api/openapi.json says the API answers come from one place. Request
 * bodies have their own, stricter schemas (validation.ts).
 */

export const addressRecordSchema = z
  .object({
    addressId: z.uuid(),
    name: z.string().optional(),
    street: z.string(),
    city: z.string(),
    zipCode: z.string().optional(),
    state: z.string().optional(),
    countryRegionId: z.string(),
    addressType: z.enum(['Home', 'Business', 'Delivery', 'Invoice']),
    isPrimary: z.boolean(),
  })
  .meta({ id: 'Address' });
export type Address = z.output<typeof addressRecordSchema>;

export const contactRecordSchema = z
  .object({
    contactId: z.uuid(),
    type: z.enum(['Email', 'Phone', 'Url']),
    value: z.string(),
    description: z.string().optional(),
    isPrimary: z.boolean(),
  })
  .meta({ id: 'Contact' });
export type Contact = z.output<typeof contactRecordSchema>;

export const affiliationRecordSchema = z.object({ name: z.string() }).meta({ id: 'Affiliation' });
export type Affiliation = z.output<typeof affiliationRecordSchema>;

/** The editable fields of the customer record itself (RETAILASYNCCUSTOMERV2). */
export const customerFieldsSchema = z.object({
  customerType: z.enum(CUSTOMER_TYPES),
  firstName: z.string(),
  middleName: z.string().optional(),
  lastName: z.string(),
  title: z.string().optional(),
  email: z.string(),
  phone: z.string().optional(),
  language: z.string().optional(),
  organizationName: z.string().optional(),
});
export type CustomerFields = z.output<typeof customerFieldsSchema>;

export const customerProfileSchema = customerFieldsSchema.extend({
  addresses: z.array(addressRecordSchema),
  contacts: z.array(contactRecordSchema),
  affiliations: z.array(affiliationRecordSchema),
  attributes: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  active: z.boolean(),
});
export type CustomerProfile = z.output<typeof customerProfileSchema>;

export const CUSTOMER_FIELD_NAMES: readonly (keyof CustomerFields)[] = [
  'customerType',
  'firstName',
  'middleName',
  'lastName',
  'title',
  'email',
  'phone',
  'language',
  'organizationName',
];

export function pickCustomerFields(source: Partial<CustomerFields>): Partial<CustomerFields> {
  const fields: Partial<CustomerFields> = {};
  for (const name of CUSTOMER_FIELD_NAMES) {
    if (source[name] !== undefined) (fields as Record<string, unknown>)[name] = source[name];
  }
  return fields;
}

export class InvalidOperationError extends Error {}

/** The profile after one operation; pure, so replaying an operation on the same input is harmless. */
export function applyOperation(profile: CustomerProfile | undefined, op: Pick<AsyncOperation, 'entity' | 'operation' | 'payload'>): CustomerProfile {
  const key: `${Entity}:${OperationKind}` = `${op.entity}:${op.operation}`;
  if (key === 'Customer:Create') {
    return {
      addresses: [],
      contacts: [],
      affiliations: [],
      attributes: {},
      active: true,
      ...(op.payload as unknown as CustomerFields),
    };
  }
  if (!profile) throw new InvalidOperationError(`${op.entity} ${op.operation} before the customer exists`);
  const payload = op.payload;
  switch (key) {
    case 'Customer:Update':
      return { ...profile, ...pickCustomerFields(payload) };
    case 'Customer:Deactivate':
      return { ...profile, active: false };
    case 'Address:Create':
    case 'Address:Update': {
      const address = payload as unknown as Address;
      const others = profile.addresses.filter((a) => a.addressId !== address.addressId).map((a) => (address.isPrimary ? { ...a, isPrimary: false } : a));
      return { ...profile, addresses: [...others, address] };
    }
    case 'Address:Deactivate':
      return { ...profile, addresses: profile.addresses.filter((a) => a.addressId !== payload.addressId) };
    case 'Contact:Create':
    case 'Contact:Update': {
      const contact = payload as unknown as Contact;
      const others = profile.contacts
        .filter((c) => c.contactId !== contact.contactId)
        .map((c) => (contact.isPrimary && c.type === contact.type ? { ...c, isPrimary: false } : c));
      return { ...profile, contacts: [...others, contact] };
    }
    case 'Contact:Deactivate':
      return { ...profile, contacts: profile.contacts.filter((c) => c.contactId !== payload.contactId) };
    case 'Affiliation:Create':
    case 'Affiliation:Update': {
      const name = String(payload.name);
      return { ...profile, affiliations: [...profile.affiliations.filter((a) => a.name !== name), { name }] };
    }
    case 'Affiliation:Deactivate':
      return { ...profile, affiliations: profile.affiliations.filter((a) => a.name !== payload.name) };
    case 'Attribute:Create':
    case 'Attribute:Update':
      return { ...profile, attributes: { ...profile.attributes, [String(payload.name)]: payload.value as AttributeValue } };
    case 'Attribute:Deactivate': {
      const { [String(payload.name)]: _removed, ...rest } = profile.attributes;
      return { ...profile, attributes: rest };
    }
    default:
      throw new InvalidOperationError(`unknown operation ${String(key)}`);
  }
}

/** The profile after a customer's operations, applied in replicationCounter order. */
export function applyInOrder(
  profile: CustomerProfile | undefined,
  operations: Iterable<Pick<AsyncOperation, 'entity' | 'operation' | 'payload' | 'replicationCounter'>>,
): CustomerProfile | undefined {
  return [...operations].sort((a, b) => a.replicationCounter - b.replicationCounter).reduce((p, op) => applyOperation(p, op), profile);
}

/**
 * HQ's own rule, which the storefront does not check: the party name (first, middle and last
 * name, or the organization name) is at most 100 characters, like DirPartyTable.Name. A sign-up
 * that breaks it is accepted by the channel and fails in HQ, where an operator fixes it.
 */
export const HQ_PARTY_NAME_MAX = 100;

export function hqRuleViolation(profile: CustomerProfile): string | undefined {
  const name =
    profile.customerType === 'Organization' && profile.organizationName
      ? profile.organizationName
      : [profile.firstName, profile.middleName, profile.lastName].filter(Boolean).join(' ');
  if (name.length > HQ_PARTY_NAME_MAX) {
    return `HQ rejected the customer: party name is ${name.length} characters, HQ allows ${HQ_PARTY_NAME_MAX}`;
  }
  return undefined;
}
