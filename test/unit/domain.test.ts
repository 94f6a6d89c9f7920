/** The domain without I/O: operations, statuses, validation, identities and settings. */
import fc from 'fast-check';
import { applyOperation, CustomerProfile, hqRuleViolation } from '../../shared/core/domain/customer';
import { customerIdFor, GUID, operationIdFor, uuidV5 } from '../../shared/core/domain/identity';
import { leastAdvanced, STATUSES } from '../../shared/core/domain/operation';
import { parseStrict, signUpSchema, ValidationError } from '../../shared/core/domain/validation';
import { ConfigurationError, readConfig } from '../../shared/core/config/settings';

const base = {
  entity: 'Customer',
  operation: 'Create',
  payload: { customerType: 'Person', firstName: 'Ann', lastName: 'Lee', email: 'a@example.com' },
} as const;

describe('applying operations', () => {
  const created = applyOperation(undefined, base);

  test('a create builds the profile; updates change only the given fields', () => {
    expect(created).toMatchObject({ firstName: 'Ann', active: true, addresses: [], attributes: {} });
    const updated = applyOperation(created, { entity: 'Customer', operation: 'Update', payload: { lastName: 'Ray' } });
    expect(updated).toMatchObject({ firstName: 'Ann', lastName: 'Ray' });
  });

  test('anything before the create is refused', () => {
    expect(() => applyOperation(undefined, { entity: 'Address', operation: 'Create', payload: {} })).toThrow(/before the customer exists/);
  });

  test('a new primary address demotes the old one; attributes are set and removed by name', () => {
    const address = (id: string, isPrimary: boolean) => ({ addressId: id, street: 's', city: 'c', countryRegionId: 'USA', addressType: 'Home', isPrimary });
    let p: CustomerProfile = applyOperation(created, { entity: 'Address', operation: 'Create', payload: address('a1', true) });
    p = applyOperation(p, { entity: 'Address', operation: 'Create', payload: address('a2', true) });
    expect(p.addresses.map((a) => [a.addressId, a.isPrimary])).toEqual([
      ['a1', false],
      ['a2', true],
    ]);
    p = applyOperation(p, { entity: 'Attribute', operation: 'Create', payload: { name: 'tier', value: 'gold' } });
    p = applyOperation(p, { entity: 'Attribute', operation: 'Deactivate', payload: { name: 'tier' } });
    expect(p.attributes).toEqual({});
  });

  test('replaying an operation on the same input gives the same result', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), (name) => {
        const op = { entity: 'Customer', operation: 'Update', payload: { firstName: name } } as const;
        expect(applyOperation(created, op)).toEqual(applyOperation(created, op));
      }),
    );
  });

  test("HQ's party-name rule rejects what the storefront accepts", () => {
    expect(hqRuleViolation(created)).toBeUndefined();
    expect(hqRuleViolation({ ...created, firstName: 'x'.repeat(60), lastName: 'y'.repeat(60) })).toMatch(/party name is 121 characters/);
  });
});

test('a customer is as far as its least advanced operation, and Failed wins', () => {
  expect(leastAdvanced(['Completed', 'Uploaded', 'Pending'])).toBe('Pending');
  expect(leastAdvanced(['Completed', 'Completed'])).toBe('Completed');
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...STATUSES), { minLength: 1 }), (statuses) => {
      const result = leastAdvanced(statuses);
      if (statuses.includes('Failed')) expect(result).toBe('Failed');
      else expect(statuses).toContain(result);
    }),
  );
});

describe('identities', () => {
  test('uuid v5 matches the RFC 4122 example and customer ids are stable GUIDs per channel and identity', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    const identity = { provider: 'b2c', id: 'u1' };
    expect(customerIdFor('FABRIKAM', identity)).toBe(customerIdFor('FABRIKAM', { ...identity }));
    expect(customerIdFor('FABRIKAM', identity)).not.toBe(customerIdFor('CONTOSO', identity));
    expect(customerIdFor('FABRIKAM', identity)).toMatch(GUID);
    expect(operationIdFor('c', 'k')).toBe(operationIdFor('c', 'k'));
    expect(operationIdFor('c', undefined)).not.toBe(operationIdFor('c', undefined));
  });
});

describe('sign-up validation', () => {
  const valid = { externalIdentity: { provider: 'b2c', id: '1' }, firstName: 'A', lastName: 'B', email: 'a@b.co' };

  test('defaults and trimming', () => {
    expect(parseStrict(signUpSchema, { ...valid, firstName: '  A  ' })).toMatchObject({ firstName: 'A', customerType: 'Person', addresses: [] });
  });

  test('any unknown field anywhere is refused, with its path', () => {
    fc.assert(
      fc.property(
        fc
          .string({ minLength: 1, maxLength: 12 })
          .filter(
            (k) =>
              !(k in valid) &&
              ![
                'middleName',
                'title',
                'phone',
                'language',
                'customerType',
                'organizationName',
                'addresses',
                'contacts',
                'affiliations',
                'attributes',
                '__proto__',
              ].includes(k),
          ),
        (key) => {
          try {
            parseStrict(signUpSchema, { ...valid, [key]: 1 });
            return false;
          } catch (error) {
            return error instanceof ValidationError && error.errors.some((e) => e.message === 'is not a known field');
          }
        },
      ),
    );
  });

  test('control characters and lone surrogates are refused', () => {
    for (const bad of ['A\u0000', 'A\u0007B', '\ud800']) {
      expect(() => parseStrict(signUpSchema, { ...valid, firstName: bad })).toThrow(ValidationError);
    }
    expect(parseStrict(signUpSchema, { ...valid, firstName: 'Zoë 😀 שלום' }).firstName).toBe('Zoë 😀 שלום');
  });
});

describe('settings', () => {
  const minimal = {
    AzureWebJobsStorage: 'UseDevelopmentStorage=true',
    CosmosDb__endpoint: 'https://127.0.0.1:8081',
    Channels__S1__functionalityProfile: 'P',
    FunctionalityProfiles__P__createCustomerInAsyncMode: 'true',
  };

  test('defaults are the documented ones', () => {
    const config = readConfig(minimal);
    expect(config.asyncQueue).toMatchObject({ name: 'async-customer-operations', poisonName: 'async-customer-operations-poison' });
    expect(config.cosmos).toMatchObject({ hqDatabase: 'commerce-hq', channelDatabase: 'commerce-channel' });
    expect(config.sync.schedule).toBe('0 */5 * * * *');
    expect(config.hq.accountNumberPrefix).toBe('C');
    expect(config.channels.get('S1')).toMatchObject({ name: 'S1', functionalityProfile: 'P' });
    expect(config.profiles.get('P')).toMatchObject({ createCustomerInAsyncMode: true, fallbackToAsyncWhenHqUnavailable: false });
  });

  test('every bad value is reported at once, by setting name', () => {
    try {
      readConfig({ ...minimal, Hq__servicing: 'maybe', Sync__maxAttempts: '0', Sync__schedule: '*/5 * * * *', CosmosDb__endpoint: '' });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const message = (error as Error).message;
      for (const name of ['Hq__servicing', 'Sync__maxAttempts', 'Sync__schedule', 'CosmosDb__endpoint']) expect(message).toContain(name);
    }
  });

  test('AsyncCustomerEditing is effective only with its three prerequisites', () => {
    const on = { Features__AsyncCustomerEditing: 'true' };
    expect(readConfig({ ...minimal, ...on }).features.get('AsyncCustomerEditing')?.effective).toBe(false);
    const all = {
      ...on,
      Features__PerformanceImprovementsForCustomerOrders: 'true',
      Features__EnhancedAsyncCustomerCreation: 'true',
      Features__AsyncCustomerAddressCreation: 'true',
    };
    expect(readConfig({ ...minimal, ...all }).features.get('AsyncCustomerEditing')).toMatchObject({ effective: true, missingPrerequisites: [] });
  });
});
