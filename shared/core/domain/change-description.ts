/**
 * What an operation does, in the words of the seed's detail pane: a creation (of what), an update
 * (which fields, from what to what) or a deactivation. Old values are the customer just before the
 * operation, from HQ or from the channel, and say which.
 */
import { z } from 'zod';
import type { CustomerProfile } from './customer';
import type { Entity, OperationKind } from './operation';

export const changeDescriptionSchema = z
  .object({
    kind: z.enum(['creation', 'update', 'deactivation']),
    summary: z.string(),
    /** `old` and `new` are any JSON value; null when there is none. */
    changes: z.array(z.object({ field: z.string(), old: z.unknown(), new: z.unknown() })),
    /** Where the old values were read: HQ's customer, the channel's (not yet synchronized) one, or nowhere. */
    oldValuesFrom: z.enum(['hq', 'channel']).nullable(),
  })
  .meta({ id: 'ChangeDescription' });
export type ChangeDescription = z.output<typeof changeDescriptionSchema>;
export type FieldChange = ChangeDescription['changes'][number];

const KIND: Record<OperationKind, ChangeDescription['kind']> = { Create: 'creation', Update: 'update', Deactivate: 'deactivation' };

const NOUN: Record<Entity, string> = {
  Customer: 'customer',
  Address: 'address',
  Contact: 'contact',
  Affiliation: 'affiliation',
  Attribute: 'attribute',
};

export interface CurrentCustomer {
  hq?: CustomerProfile;
  channel?: CustomerProfile;
}

export function describeChange(
  op: { entity: Entity; operation: OperationKind; payload: Record<string, unknown> },
  current: CurrentCustomer,
): ChangeDescription {
  const kind = KIND[op.operation];
  const base = current.hq ?? current.channel;
  const oldValuesFrom = current.hq ? 'hq' : current.channel ? 'channel' : null;
  const noun = NOUN[op.entity];
  const payload = op.payload;

  switch (op.entity) {
    case 'Customer': {
      if (op.operation === 'Deactivate') {
        return { kind, summary: 'Deactivation of the customer', changes: [{ field: 'active', old: base?.active ?? null, new: false }], oldValuesFrom };
      }
      const creation = op.operation === 'Create';
      const fields = Object.keys(payload);
      const changes = fields.map((field) => ({
        field,
        old: creation ? null : ((base as unknown as Record<string, unknown> | undefined)?.[field] ?? null),
        new: payload[field],
      }));
      const summary = creation ? 'Creation of the customer' : `Update of the customer: ${fields.join(', ')}`;
      return { kind, summary, changes, oldValuesFrom: creation ? null : oldValuesFrom };
    }
    case 'Attribute': {
      const name = String(payload.name ?? '');
      const old = base?.attributes?.[name] ?? null;
      const next = op.operation === 'Deactivate' ? null : (payload.value ?? null);
      return { kind, summary: `${capital(kind)} of attribute "${name}"`, changes: [{ field: name, old, new: next }], oldValuesFrom };
    }
    case 'Affiliation': {
      const name = String(payload.name ?? '');
      return {
        kind,
        summary: `${capital(kind)} of affiliation "${name}"`,
        changes: [{ field: 'name', old: null, new: payload.name ?? null }],
        oldValuesFrom: null,
      };
    }
    default: {
      // Addresses and contacts: a new record, so every field is new.
      const changes = Object.entries(payload).map(([field, value]) => ({ field, old: null, new: value }));
      return { kind, summary: `${capital(kind)} of ${article(noun)} ${noun}`, changes, oldValuesFrom: null };
    }
  }
}

function capital(word: string): string {
  return word[0].toUpperCase() + word.slice(1);
}

function article(noun: string): string {
  return /^[aeiou]/.test(noun) ? 'an' : 'a';
}
