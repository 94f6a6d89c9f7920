/**
 * Orchestrations replayed by durable-functions' own orchestrator code through the local host's
 * durable engine (in-memory history store; the table store is covered by host.test.ts).
 */
import { startLocalHost, MemoryHistoryStore, type LocalHost } from '../src';
import { FIXTURE_APP, startOrchestration, waitForCompletion } from './helpers';

describe('durable engine replay', () => {
  let host: LocalHost;
  const lines: string[] = [];

  beforeAll(async () => {
    process.env.Fixture__tickSchedule = '0 0 0 1 1 *';
    host = await startLocalHost({
      appRoot: FIXTURE_APP,
      port: 0,
      historyStore: new MemoryHistoryStore(),
      log: (line) => lines.push(line),
    });
  });
  afterAll(async () => {
    await host?.stop();
  });

  async function run(name: string, input: unknown, instanceId?: string) {
    const started = await startOrchestration(host.url, name, input, instanceId);
    expect(started.status).toBe(202);
    return waitForCompletion(started.body.statusQueryGetUri);
  }

  test('a fan-out of 50 activities completes with the right output', async () => {
    const status = await run('fanOut', 50);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toBe(2 * ((49 * 50) / 2));
  });

  test('fanned-out activities run in parallel', async () => {
    const status = await run('parallelSleep', 50);
    // Every one completed; several ran at once, never more than the engine's limit (16 by default).
    const output = status.output as { completed: number; mostAtOnce: number };
    expect(output.completed).toBe(50);
    expect(output.mostAtOnce).toBeGreaterThan(1);
    expect(output.mostAtOnce).toBeLessThanOrEqual(16);
  });

  test('a failing activity retried by policy succeeds on a later attempt', async () => {
    const status = await run('retrying', { key: 'eventually', failTimes: 2, maxAttempts: 3 });
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ plain: 84, retried: 'ok after 3' });
  });

  test('an activity that keeps failing fails the instance after maxNumberOfAttempts', async () => {
    const status = await run('retrying', { key: 'never', failTimes: 99, maxAttempts: 3 });
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain('flaky attempt 3 failed');
    const history = (await host.durable.getStatus(status.instanceId))!.history;
    expect(history.filter((e) => e.EventType === 6 && e.Retry === undefined).length).toBe(3);
  });

  test('an orchestrator exception is reported as a Failed instance', async () => {
    const status = await run('throws', null);
    expect(status.runtimeStatus).toBe('Failed');
    expect(String(status.output)).toContain('orchestrator exploded');
  });

  test('Task.any with a durable timer, then a cancelled timer', async () => {
    const status = await run('raceTimer', null);
    expect(status.runtimeStatus).toBe('Completed');
    expect(status.output).toEqual({ first: 'timer', second: 'slept 10' });
  });

  test('external events, custom status, and 409 for a running instance id', async () => {
    const started = await startOrchestration(host.url, 'waitsForEvent', null, 'approval-1');
    expect(started.status).toBe(202);
    const again = await startOrchestration(host.url, 'waitsForEvent', null, 'approval-1');
    expect(again.status).toBe(409);
    expect(['Pending', 'Running']).toContain(again.body.runtimeStatus);
    const raise = await fetch(`${host.url}/runtime/webhooks/durabletask/instances/approval-1/raiseEvent/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'ops' }),
    });
    expect(raise.status).toBe(202);
    const status = await waitForCompletion(started.body.statusQueryGetUri);
    expect(status.output).toEqual({ by: 'ops' });
    expect(status.customStatus).toEqual({ approved: true });
    // Completed: the same id may be started again.
    const restarted = await startOrchestration(host.url, 'fanOut', 2, 'approval-1');
    expect(restarted.status).toBe(202);
    expect((await waitForCompletion(restarted.body.statusQueryGetUri)).output).toBe(2);
  });

  test('terminate, list by status and purge through the management API', async () => {
    const started = await startOrchestration(host.url, 'waitsForEvent', null, 'to-terminate');
    const api = `${host.url}/runtime/webhooks/durabletask/instances`;
    expect((await fetch(`${api}/to-terminate/terminate?reason=enough`, { method: 'POST' })).status).toBe(202);
    const status = await waitForCompletion(started.body.statusQueryGetUri);
    expect(status.runtimeStatus).toBe('Terminated');
    const completed = (await (await fetch(`${host.url}/api/instances`)).json()) as string[];
    expect(completed).toContain('approval-1');
    expect(completed).not.toContain('to-terminate');
    const withHistory = (await (await fetch(`${api}/approval-1?showHistory=true`)).json()) as { historyEvents: unknown[] };
    expect(withHistory.historyEvents.length).toBeGreaterThan(3);
    expect((await fetch(`${api}/to-terminate`, { method: 'DELETE' })).status).toBe(200);
    expect((await fetch(`${api}/to-terminate`)).status).toBe(404);
  });

  test('one Executed line per invocation with name and duration', () => {
    expect(lines.some((l) => /Executed 'Functions\.double' \(Succeeded, Id=[0-9a-f-]+, Duration=\d+ms\)/.test(l))).toBe(true);
  });
});
