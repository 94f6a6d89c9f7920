import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAppRegistrations, type AppRegistration } from '@async-customer/local-host';

const sample = JSON.parse(readFileSync(path.join(__dirname, '../../local.settings.sample.json'), 'utf8')).Values;
// The compiled app (package.json `main`), loaded by the local host's `@azure/functions-core` stand-in.
const APP_ROOT = path.join(__dirname, '../..');
const triggerOf = (registration: AppRegistration) => registration.trigger;

describe('what the Functions host would index', () => {
  const registrations = loadAppRegistrations(APP_ROOT, { env: sample });
  const byName = new Map(registrations.map((r) => [r.name, r]));

  test('the storefront routes, methods and auth levels', () => {
    const http = (name: string) => triggerOf(byName.get(name)!);
    expect(http('signUpCustomer')).toMatchObject({ type: 'httpTrigger', route: 'channels/{channelId}/customers', methods: ['POST'], authLevel: 'function' });
    expect(http('getCustomer')).toMatchObject({ route: 'channels/{channelId}/customers/{customerId}', methods: ['GET'], authLevel: 'function' });
    expect(http('editCustomer')).toMatchObject({ route: 'channels/{channelId}/customers/{customerId}', methods: ['PATCH'], authLevel: 'function' });
    expect(http('addCustomerAddress')).toMatchObject({ route: 'channels/{channelId}/customers/{customerId}/addresses', methods: ['POST'] });
  });

  test('no HTTP function is anonymous, and ops routes are no weaker than the storefront', () => {
    const httpTriggers = registrations.map(triggerOf).filter((t) => t.type === 'httpTrigger');
    expect(httpTriggers.length).toBeGreaterThanOrEqual(6);
    for (const trigger of httpTriggers) expect(['function', 'admin']).toContain(trigger.authLevel);
  });

  test('the timer runs on the Sync__schedule setting and gets a durable client', () => {
    const timer = byName.get('syncTimer')!;
    expect(triggerOf(timer)).toMatchObject({ type: 'timerTrigger', schedule: '%Sync__schedule%' });
    expect(Object.values(timer.bindings).some((b) => b.type === 'durableClient' && b.direction === 'in')).toBe(true);
  });

  test('the on-demand run starts the same orchestration through a durable client', () => {
    const run = byName.get('runSync')!;
    expect(triggerOf(run)).toMatchObject({ route: 'ops/sync/run', methods: ['POST'] });
    expect(Object.values(run.bindings).some((b) => b.type === 'durableClient')).toBe(true);
  });

  test('the orchestration and its activities', () => {
    expect(triggerOf(byName.get('customerSync')!).type).toBe('orchestrationTrigger');
    for (const activity of ['uploadOperations', 'synchronizeBatch', 'recordSyncRun']) {
      expect(triggerOf(byName.get(activity)!).type).toBe('activityTrigger');
    }
  });

  test('the webhook deliverer: a timer of its own, on Webhooks__schedule (every 5 s unless set), only when a channel has a webhook', () => {
    expect(byName.has('deliverWebhooks')).toBe(false);
    const webhook = { Channels__FABRIKAM__webhookUrl: 'https://hooks.example.com/x', Channels__FABRIKAM__webhookSecret: `whsec_${'A'.repeat(43)}=` };
    const withWebhook = loadAppRegistrations(APP_ROOT, { env: { ...sample, ...webhook } });
    expect(triggerOf(withWebhook.find((r) => r.name === 'deliverWebhooks')!)).toMatchObject({ type: 'timerTrigger', schedule: '*/5 * * * * *' });
    expect(withWebhook.find((r) => r.name === 'syncTimer')).toBeDefined();
    const slower = loadAppRegistrations(APP_ROOT, { env: { ...sample, ...webhook, Webhooks__schedule: '*/30 * * * * *' } });
    expect(triggerOf(slower.find((r) => r.name === 'deliverWebhooks')!)).toMatchObject({ schedule: '*/30 * * * * *' });
    expect(() => loadAppRegistrations(APP_ROOT, { env: { ...sample, ...webhook, Webhooks__schedule: '*/30 * * * *' } })).toThrow(
      /Webhooks__schedule: "\*\/30 \* \* \* \*" is not a six-field NCRONTAB expression/,
    );
  });

  test('a bad webhook setting stops start-up naming it, and the secret is not in the message', () => {
    const secret = `whsec_${'B'.repeat(43)}=`;
    const load = (env: Record<string, string>) => () => loadAppRegistrations(APP_ROOT, { env: { ...sample, ...env } });
    expect(load({ Channels__FABRIKAM__webhookUrl: 'http://hooks.example.com/x', Channels__FABRIKAM__webhookSecret: secret })).toThrow(
      /Channels__FABRIKAM__webhookUrl: must be an https URL/,
    );
    expect(load({ Channels__FABRIKAM__webhookSecret: secret })).toThrow(/Channels__FABRIKAM__webhookUrl: missing/);
    let message = '';
    try {
      load({ Channels__FABRIKAM__webhookUrl: 'https://hooks.example.com/x', Channels__FABRIKAM__webhookSecret: secret.slice(0, 20) })();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Channels__FABRIKAM__webhookSecret: not a Standard Webhooks secret');
    expect(message).not.toContain('BBBBBBBB');
  });

  test('a bad setting stops start-up with a message naming it', () => {
    expect(() => loadAppRegistrations(APP_ROOT, { env: { ...sample, Sync__batchSize: 'lots' } })).toThrow(/Sync__batchSize/);
    expect(() => loadAppRegistrations(APP_ROOT, { env: { ...sample, Channels__BAD__functionalityProfile: '', Channels__BAD__name: 'x' } })).toThrow(
      /Channels__BAD__functionalityProfile/,
    );
  });
});
