/**
 * Who may call what: load the app's registrations the way the Functions host indexes them (through
 * `@azure/functions-core`) and check every HTTP trigger needs a key. Anonymous would let anyone on
 * the internet create customers or start sync runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Registration {
  name: string;
  bindings: Record<string, { type: string; direction: string; authLevel?: string; route?: string }>;
}
const registered: Registration[] = [];

jest.mock(
  '@azure/functions-core',
  () => ({
    registerFunction: (metadata: Registration) => {
      registered.push(metadata);
      return { dispose() {} };
    },
    setProgrammingModel: () => {},
    getProgrammingModel: () => ({ name: 'stub', version: '0' }),
    registerHook: () => ({ dispose() {} }),
  }),
  { virtual: true },
);

const RANK: Record<string, number> = { anonymous: 0, function: 1, admin: 2 };

beforeAll(() => {
  const sample = JSON.parse(readFileSync(path.join(__dirname, '../../local.settings.sample.json'), 'utf8')).Values as Record<string, string>;
  Object.assign(process.env, sample);
  jest.isolateModules(() => {
    require('../../functions/index');
  });
});

test('every HTTP trigger needs a function or admin key; ops routes no weaker than the storefront', () => {
  const http = registered.flatMap((r) =>
    Object.values(r.bindings)
      .filter((b) => b.type === 'httpTrigger')
      .map((b) => ({ name: r.name, route: b.route ?? '', authLevel: b.authLevel ?? 'function' })),
  );
  // The storefront's four routes and the ops routes at least: registration really happened.
  expect(http.length).toBeGreaterThanOrEqual(6);
  expect(http.map((h) => h.route)).toEqual(expect.arrayContaining(['channels/{channelId}/customers', 'ops/sync/run']));
  for (const trigger of http) expect({ ...trigger, ok: ['function', 'admin'].includes(trigger.authLevel) }).toMatchObject({ ok: true });
  const storefront = Math.min(...http.filter((h) => h.route.startsWith('channels/')).map((h) => RANK[h.authLevel]));
  for (const ops of http.filter((h) => h.route.startsWith('ops'))) expect({ ...ops, rank: RANK[ops.authLevel] >= storefront }).toMatchObject({ rank: true });
});
