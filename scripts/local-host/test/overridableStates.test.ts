/**
 * host.json `extensions.durableTask.overridableExistingInstanceStates` in the local host, as the
 * Durable extension applies it: NonRunningStates (the default, and what the app's host.json says)
 * refuses to start an instance id that is still Pending or Running; AnyState replaces it.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startLocalHost, MemoryHistoryStore, type LocalHost } from '../src';
import { readHostJson } from '../src/settings';
import { FIXTURE_APP, startOrchestration, waitFor, waitForCompletion } from './helpers';

/** The app's repository, whose host.json the app relies on. */
const ROOT = path.resolve(__dirname, '..', '..', '..');

/**
 * A copy of the fixture app whose host.json says `durableTask`. It sits beside the fixture (removed
 * afterwards) so that the app resolves the repository's node_modules, and each copy is an app of
 * its own to the host's module loader.
 */
function appWithDurableTask(durableTask: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(path.dirname(FIXTURE_APP), '.tmp-overridable-'));
  copyFileSync(path.join(FIXTURE_APP, 'package.json'), path.join(dir, 'package.json'));
  copyFileSync(path.join(FIXTURE_APP, 'index.js'), path.join(dir, 'index.js'));
  writeFileSync(path.join(dir, 'host.json'), JSON.stringify({ version: '2.0', extensions: { durableTask: { hubName: 'FixtureHub', ...durableTask } } }));
  return dir;
}

describe('host.json overridableExistingInstanceStates', () => {
  const dirs: string[] = [];
  const hosts: LocalHost[] = [];
  afterAll(async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function hostFor(durableTask: Record<string, unknown>): Promise<LocalHost> {
    process.env.Fixture__tickSchedule = '0 0 0 1 1 *';
    const dir = appWithDurableTask(durableTask);
    dirs.push(dir);
    const host = await startLocalHost({ appRoot: dir, port: 0, historyStore: new MemoryHistoryStore(), log: () => undefined });
    hosts.push(host);
    return host;
  }

  test('is read from host.json: names, the numeric enum values, the default, and a bad value', () => {
    const read = (durableTask: Record<string, unknown>) => {
      const dir = appWithDurableTask(durableTask);
      dirs.push(dir);
      return readHostJson(dir).overridableExistingInstanceStates;
    };
    expect(read({})).toBe('NonRunningStates');
    expect(read({ overridableExistingInstanceStates: 'NonRunningStates' })).toBe('NonRunningStates');
    expect(read({ overridableExistingInstanceStates: 'anystate' })).toBe('AnyState');
    expect(read({ overridableExistingInstanceStates: 0 })).toBe('AnyState');
    expect(read({ overridableExistingInstanceStates: 1 })).toBe('NonRunningStates');
    expect(() => read({ overridableExistingInstanceStates: 'Never' })).toThrow(/overridableExistingInstanceStates/);
  });

  test("the app's own host.json states NonRunningStates rather than trusting the default", () => {
    const hostJson = JSON.parse(readFileSync(path.join(ROOT, 'host.json'), 'utf8'));
    expect(hostJson.extensions.durableTask.overridableExistingInstanceStates).toBe('NonRunningStates');
    expect(readHostJson(ROOT).overridableExistingInstanceStates).toBe('NonRunningStates');
  });

  test('NonRunningStates: starting a running instance id fails and leaves the instance running', async () => {
    const host = await hostFor({ overridableExistingInstanceStates: 'NonRunningStates' });
    const first = await startOrchestration(host.url, 'waitsForEvent', null, 'singleton');
    expect(first.status).toBe(202);
    await waitFor(async () => ((await host.durable.getStatus('singleton'))?.record.runtimeStatus === 'Running' ? true : undefined));
    const second = await startOrchestration(host.url, 'waitsForEvent', null, 'singleton');
    expect(second.status).toBe(409);
    expect(second.body.runtimeStatus).toBe('Running');
    const status = await host.durable.getStatus('singleton');
    expect(status?.record.runtimeStatus).toBe('Running');
    expect(status?.record.executionId).toBeDefined();
  });

  test('AnyState: starting a running instance id replaces it with a new execution', async () => {
    const host = await hostFor({ overridableExistingInstanceStates: 'AnyState' });
    const first = await startOrchestration(host.url, 'waitsForEvent', null, 'replaceable');
    expect(first.status).toBe(202);
    const running = await waitFor(async () => {
      const status = await host.durable.getStatus('replaceable');
      return status?.record.runtimeStatus === 'Running' ? status.record : undefined;
    });
    const second = await startOrchestration(host.url, 'fanOut', 3, 'replaceable');
    expect(second.status).toBe(202);
    const done = await waitForCompletion(second.body.statusQueryGetUri);
    expect(done.name).toBe('fanOut');
    expect(done.runtimeStatus).toBe('Completed');
    expect((await host.durable.getStatus('replaceable'))?.record.executionId).not.toBe(running.executionId);
  });
});
