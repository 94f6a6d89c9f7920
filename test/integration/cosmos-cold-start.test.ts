/**
 * A fresh app (a new Functions instance, a restarted host) under a burst: the Cosmos SDK reads a
 * container's definition before its first create there and caches it, but concurrent first
 * creates each sent that read. The adapters share one read per container (documents.ts).
 */
import { PluginConfig, PluginOn } from '@azure/cosmos';
import { createTestApp, runSync, signUpBody, useEmulators } from '../support/environment';

const emulators = useEmulators();

/** Counts the Cosmos requests the app's own client sends, by `operation resource`, and the container reads by container. */
function requestCounter(): { plugin: PluginConfig; counts: Map<string, number>; containerReads: Map<string, number> } {
  const counts = new Map<string, number>();
  const containerReads = new Map<string, number>();
  return {
    counts,
    containerReads,
    plugin: {
      on: PluginOn.request,
      plugin: async (context, _diagnostics, next) => {
        const kind = `${context.operationType ?? '?'} ${context.resourceType ?? '?'}`;
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
        if (kind === 'read colls') containerReads.set(context.path ?? '?', (containerReads.get(context.path ?? '?') ?? 0) + 1);
        return next(context);
      },
    },
  };
}

test('a fresh app takes a burst of 64 concurrent sign-ups, then synchronizes them, reading each container it writes to once, not once per sign-up', async () => {
  const { plugin, counts, containerReads } = requestCounter();
  const { services } = await createTestApp(emulators, {}, { cosmosPlugins: [plugin] });
  try {
    const accepted = await Promise.all(Array.from({ length: 64 }, (_, i) => services.customers.signUp('FABRIKAM', signUpBody(`burst-${i}`))));
    expect(accepted.every((a) => a.outcome === 'accepted')).toBe(true); // async mode: 202
    expect(counts.get('create docs')).toBe(64);
    // The channel customers' container: its one definition read, shared by the 64 creates.
    expect([...containerReads.values()]).toEqual([1]);
    expect([...containerReads.keys()][0]).toMatch(/\/colls\/customers$/);

    expect(await runSync(services)).toMatchObject({ uploaded: 64, completed: 64, failed: 0 });
    // The sync writes to the staging, HQ customer, number sequence and run containers: one read each.
    expect(containerReads.size).toBeGreaterThanOrEqual(4);
    expect([...containerReads.values()].every((reads) => reads === 1)).toBe(true);
  } finally {
    services.dispose();
  }
});
