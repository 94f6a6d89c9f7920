import { describeChange } from '../../shared/core/domain/change-description';
import { ifMatchCheck, quoteEtag } from '../../functions/http/etag';

const etagMatches = (ifMatch: string, version: string) => ifMatchCheck(ifMatch)!(version);
import type { CustomerProfile } from '../../shared/core/domain/customer';

const profile = (extra: Partial<CustomerProfile> = {}): CustomerProfile => ({
  customerType: 'Person',
  firstName: 'Ann',
  lastName: 'Smith',
  email: 'ann@example.com',
  addresses: [],
  contacts: [],
  affiliations: [],
  attributes: { loyalty: 'silver' },
  active: true,
  ...extra,
});

test('a customer update names the changed fields with old values from HQ before the channel', () => {
  const change = describeChange(
    { entity: 'Customer', operation: 'Update', payload: { lastName: 'Smith-Jones' } },
    { hq: profile(), channel: profile({ lastName: 'Channel' }) },
  );
  expect(change).toEqual({
    kind: 'update',
    summary: 'Update of the customer: lastName',
    changes: [{ field: 'lastName', old: 'Smith', new: 'Smith-Jones' }],
    oldValuesFrom: 'hq',
  });
});

test('an attribute change shows old and new values, from the channel when HQ has no customer', () => {
  const change = describeChange({ entity: 'Attribute', operation: 'Create', payload: { name: 'loyalty', value: 'gold' } }, { channel: profile() });
  expect(change).toMatchObject({
    summary: 'Creation of attribute "loyalty"',
    changes: [{ field: 'loyalty', old: 'silver', new: 'gold' }],
    oldValuesFrom: 'channel',
  });
});

test('a deactivation and an address creation', () => {
  expect(describeChange({ entity: 'Customer', operation: 'Deactivate', payload: {} }, { hq: profile() }).changes).toEqual([
    { field: 'active', old: true, new: false },
  ]);
  expect(describeChange({ entity: 'Address', operation: 'Create', payload: { city: 'Redmond' } }, {})).toMatchObject({
    kind: 'creation',
    summary: 'Creation of an address',
    changes: [{ field: 'city', old: null, new: 'Redmond' }],
  });
});

test('If-Match compares quoted strong tags, accepts * and lists, whatever quoting Cosmos used', () => {
  expect(quoteEtag('abc')).toBe('"abc"');
  expect(quoteEtag('"abc"')).toBe('"abc"');
  expect(etagMatches('"abc"', 'abc')).toBe(true);
  expect(etagMatches('"abc"', '"abc"')).toBe(true);
  expect(etagMatches('"x", "abc"', 'abc')).toBe(true);
  expect(etagMatches('*', 'abc')).toBe(true);
  expect(etagMatches('abc', 'abc')).toBe(false);
  expect(etagMatches('"abd"', 'abc')).toBe(false);
});
