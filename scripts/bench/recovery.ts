/**
 * Recovery (DESIGN.md section 8, invariant 6): the host, a child process serving the compiled
 * app, is SIGKILLed while the continuous loop uploads a queued backlog, then started again on the
 * same emulators. Measured: from the restart to the moment every answered sign-up (the last one
 * included) shows its account number in the channel; then HQ is checked: every customer once,
 * distinct account numbers. The bench's own small version; the end-to-end test of the same
 * invariant is test/e2e/recovery.test.ts.
 */
import type { RunningEmulators } from '../emulators';
import { readConfig } from '../../shared/core/config/settings';
import { createServices, provisionStorage } from '../../functions/composition-root';
import { containers, createCosmosClient } from '../../shared/adapters/cosmos/client';
import { benchEnv, dropStores } from './app';
import { signUpBody } from './backlog';
import { HostProcess, startHostProcess } from './host-process';
import { runLoad } from './load';
import type { BenchOptions } from './options';
import type { Progress } from './progress';
import type { Row } from './report';

/** DESIGN.md section 8: within 90 s of the restart. */
const RECOVERY_TARGET_MS = 90_000;
/** The kill comes once this share of the backlog is in HQ: the loop is then mid-upload. */
const KILL_AT = 0.1;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function recoveryScenario(
  emulators: RunningEmulators,
  options: BenchOptions,
  progress: Progress,
): Promise<{ rows: Row[]; details: Record<string, unknown> }> {
  // No watchdog tick during the scenario (a yearly schedule): what recovers the loop is the host
  // resuming its running orchestration from the task hub, not the timer.
  const env = benchEnv(emulators, { Sync__mode: 'continuous', Sync__schedule: '0 0 0 1 1 *' });
  const config = readConfig(env);
  await provisionStorage(config);
  const client = createCosmosClient(config.cosmos);
  const c = containers(client, config.cosmos);
  const count = async (container: 'hqCustomers' | 'channelCustomers', where = 'true') =>
    (await c[container].items.query<number>(`SELECT VALUE COUNT(1) FROM c WHERE ${where}`).fetchAll()).resources[0] ?? 0;
  const n = options.recoveryBacklog;
  let host: HostProcess | undefined;
  try {
    // The backlog is queued before the host starts (through the app's own sign-up service, on the
    // same stores): in continuous mode the host starts its loop on startup, so sign-ups sent to a
    // running host would be synchronized as they arrive and the kill would find no backlog.
    const seeding = progress.phase(`recovery: ${n} sign-ups queued (host not started yet)`, n);
    const services = createServices(config);
    const locations: string[] = [];
    try {
      const seeded = await runLoad(
        n,
        options.concurrency,
        async (i) => {
          const { customer } = await services.customers.signUp('FABRIKAM', signUpBody(30_000_000 + i));
          locations.push(`/api/channels/FABRIKAM/customers/${customer.customerId}`);
        },
        { phase: seeding, timeoutMs: options.phaseTimeoutMs },
      );
      if (seeded.errors > 0) throw new Error(`recovery seeding: ${seeded.errors} sign-ups failed: ${seeded.firstError}`);
      seeding.done(`${seeded.perSecond.toFixed(0)}/s`);
    } finally {
      services.dispose();
    }
    const last = locations[locations.length - 1];

    const uploading = progress.phase(`recovery: local host started (its loop starts with it), SIGKILL once ${KILL_AT * 100}% is in HQ`);
    host = await startHostProcess(env);
    const deadline = Date.now() + 300_000;
    let inHq = 0;
    while ((inHq = await count('hqCustomers')) < Math.max(1, Math.ceil(n * KILL_AT))) {
      if (Date.now() > deadline) throw new Error(`recovery: only ${inHq} of ${n} in HQ after 300 s`);
      await sleep(100);
    }
    await host.kill();
    const atKill = await count('hqCustomers');
    host = undefined;
    uploading.done(`killed with ${atKill} of ${n} in HQ`);

    const recovering = progress.phase('recovery: host restarted on the same emulators, until every answered sign-up has its account number');
    const restartedAt = performance.now();
    host = await startHostProcess(env);
    const servingMs = performance.now() - restartedAt;
    let synced = 0;
    const bound = Date.now() + Math.max(300_000, RECOVERY_TARGET_MS * 3);
    while ((synced = await count('channelCustomers', 'IS_STRING(c.accountNumber)')) < n) {
      if (Date.now() > bound)
        throw new Error(`recovery: ${synced} of ${n} synchronized ${((performance.now() - restartedAt) / 1000).toFixed(0)} s after the restart`);
      await sleep(250);
    }
    const allMs = performance.now() - restartedAt;
    const lastView = (await (await fetch(`${host.url}${last}`)).json()) as { accountNumber: string | null };
    recovering.done(`${(allMs / 1000).toFixed(1)} s`);

    const hqCustomers = await count('hqCustomers');
    const accounts = (await c.hqCustomers.items.query<string>('SELECT VALUE c.accountNumber FROM c').fetchAll()).resources;
    const distinct = new Set(accounts).size;
    const exact = hqCustomers === n && distinct === n && !!lastView.accountNumber;
    return {
      rows: [
        {
          figure: `recovery: SIGKILL mid-upload (${n} queued), restart to last answered sign-up in HQ`,
          value: allMs / 1000,
          unit: 's',
          target: `<= ${RECOVERY_TARGET_MS / 1000} s`,
          pass: allMs <= RECOVERY_TARGET_MS && exact,
          note:
            `killed with ${atKill} of ${n} in HQ; the restarted host served after ${(servingMs / 1000).toFixed(1)} s; ` +
            `then every answered sign-up had its account number in the channel (the last: ${lastView.accountNumber}); ` +
            `HQ ${hqCustomers} customers, ${distinct} distinct account numbers${exact ? '' : ' (NOT exactly once)'}`,
        },
      ],
      details: { recovery: { backlog: n, atKill, servingMs, allMs, hqCustomers, distinct } },
    };
  } catch (error) {
    if (host) (error as Error).message += `\n--- host log ---\n${host.tail()}`;
    throw error;
  } finally {
    await host?.stop();
    client.dispose();
    await dropStores(config);
  }
}
