/**
 * loadAppRegistrations: what an app registers, captured through the same `@azure/functions-core`
 * stand-in the host uses, without serving it.
 */
import path from 'node:path';
import { loadAppRegistrations } from '../src';
import { FIXTURE_APP } from './helpers';

test('captures every registration with its bindings, trigger and callback', () => {
  const registrations = loadAppRegistrations(FIXTURE_APP);
  const byName = new Map(registrations.map((r) => [r.name, r]));
  expect(byName.get('customer')?.trigger).toMatchObject({
    type: 'httpTrigger',
    route: 'channels/{channelId}/customers/{customerId}',
    methods: ['GET', 'PUT'],
    authLevel: 'function',
  });
  expect(byName.get('tick')?.trigger).toMatchObject({ type: 'timerTrigger', schedule: '%Fixture__tickSchedule%' });
  expect(byName.get('fanOut')?.trigger.type).toBe('orchestrationTrigger');
  expect(byName.get('double')?.trigger.type).toBe('activityTrigger');
  expect(Object.values(byName.get('startOrchestration')!.bindings).map((b) => b.type)).toEqual(
    expect.arrayContaining(['httpTrigger', 'durableClient', 'http']),
  );
  for (const r of registrations) expect(typeof r.callback).toBe('function');
});

test('the entry module loads like the folder', () => {
  const fromFolder = loadAppRegistrations(FIXTURE_APP).map((r) => r.name);
  expect(loadAppRegistrations(path.join(FIXTURE_APP, 'index.js')).map((r) => r.name)).toEqual(fromFolder);
});

test('settings given for the load are what the app sees, and the environment is restored after', () => {
  expect(loadAppRegistrations(FIXTURE_APP, { env: { Fixture__withExtra: 'true' } }).map((r) => r.name)).toContain('extra');
  expect(loadAppRegistrations(FIXTURE_APP).map((r) => r.name)).not.toContain('extra');
});

test('an error the app throws while loading is thrown to the caller', () => {
  expect(() => loadAppRegistrations(FIXTURE_APP, { env: { Fixture__failToLoad: 'yes' } })).toThrow(/Fixture__failToLoad/);
});
