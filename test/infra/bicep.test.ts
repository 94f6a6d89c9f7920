/**
 * infra/main.bicep compiled and linted by the Bicep CLI: zero errors and zero warnings, with the
 * rules of infra/bicepconfig.json. Then `bicep snapshot` evaluates the template offline for each
 * durable backend and the test checks what a deployment would create: Node 22, one always-ready
 * instance for the durable group, and for durableTaskScheduler exactly the scheduler, its task hub,
 * the data role on the hub and the app settings that switch the Durable extension to it.
 *
 * The CLI is found as test/infra/bicep-cli.ts says (PATH, az, or the NuGet package .ci/run
 * restores). Without one, the whole suite reports itself skipped, with the reason on the console.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildMain,
  findBicepCli,
  hasSnapshot,
  INFRA,
  lintMain,
  lintWithInfraConfig,
  ROOT,
  snapshotMain,
  type BicepCli,
  type Diagnostic,
  type PredictedResource,
} from './bicep-cli';

type FoundCli = Extract<BicepCli, { found: true }>;

// One Bicep CLI call takes 5 to 15 s on a busy 2-core machine; a snapshot test makes two.
jest.setTimeout(300_000);

const cli = findBicepCli();
const snapshots = cli.found && hasSnapshot(cli);
if (!cli.found) console.warn(`test/infra/bicep.test.ts: SKIPPED, ${cli.reason}`);
else if (!snapshots)
  console.warn(`test/infra/bicep.test.ts: snapshot tests SKIPPED, Bicep ${cli.version} (${cli.path}) has no \`snapshot\` command (0.36 or later has)`);

const describeWithCli = cli.found ? describe : describe.skip;
const describeWithSnapshot = snapshots ? describe : describe.skip;

const DTS_DATA_CONTRIBUTOR = '0ad04412-c4d5-4796-b79c-f76d14c8d402';
const DTS_SETTINGS = [
  'AzureFunctionsJobHost__extensions__durableTask__hubName',
  'AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName',
  'AzureFunctionsJobHost__extensions__durableTask__storageProvider__type',
  'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
];

const format = (diagnostics: Diagnostic[]): string[] => diagnostics.map((d) => `${d.location} ${d.level} ${d.ruleId}: ${d.message}`);
const problems = (diagnostics: Diagnostic[]): string[] => format(diagnostics.filter((d) => d.level === 'error' || d.level === 'warning'));

const hostJson = JSON.parse(readFileSync(path.join(ROOT, 'host.json'), 'utf8')) as { extensions: { durableTask: { hubName: string } } };
const sampleStores = (JSON.parse(readFileSync(path.join(INFRA, 'main.parameters.json'), 'utf8')) as { parameters: { stores: { value: unknown[] } } }).parameters
  .stores.value;

function parametersFor(durableBackend: string): Record<string, unknown> {
  return { environmentName: 'ci', location: 'westeurope', stores: sampleStores, durableBackend };
}

function countByType(resources: PredictedResource[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of resources) counts[r.type] = (counts[r.type] ?? 0) + 1;
  return counts;
}

const ofType = (resources: PredictedResource[], type: string) => resources.filter((r) => r.type === type);
const one = (resources: PredictedResource[], type: string): PredictedResource => {
  const found = ofType(resources, type);
  expect(found).toHaveLength(1);
  return found[0];
};
const appSettings = (resources: PredictedResource[]) => one(resources, 'Microsoft.Web/sites/config').properties as Record<string, string>;

describeWithCli(`Bicep CLI${cli.found ? ` ${cli.version} (${cli.source})` : ''}`, () => {
  const bicep = cli as FoundCli;

  test('bicep build infra/main.bicep: 0 errors, 0 warnings', () => {
    const build = buildMain(bicep);
    expect({ status: build.status, problems: problems(build.diagnostics) }).toEqual({ status: 0, problems: [] });
    expect(build.template?.resources).toBeDefined();
  });

  test('bicep lint infra/main.bicep: 0 errors, 0 warnings', () => {
    const lint = lintMain(bicep);
    expect({ status: lint.status, problems: problems(lint.diagnostics) }).toEqual({ status: 0, problems: [] });
  });

  test('the linter configuration is live: a probe that breaks a default rule and a rule bicepconfig.json turns on warns for both', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'infra-lint-probe-'));
    try {
      const probe = path.join(dir, 'probe.bicep');
      writeFileSync(probe, 'param unused string\nparam bag object\noutput bagKeys array = items(bag)\n');
      const rules = lintWithInfraConfig(bicep, probe).diagnostics.map((d) => d.ruleId);
      expect(rules).toEqual(expect.arrayContaining(['no-unused-params', 'use-user-defined-types']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('every parameter an operator sets (main.bicep) has a description', () => {
    const template = buildMain(bicep).template!;
    const missing = Object.entries(template.parameters)
      .filter(([, p]) => !p.metadata?.description?.trim())
      .map(([name]) => name);
    expect(missing).toEqual([]);
    expect(template.parameters.durableBackend).toMatchObject({ defaultValue: 'azureStorage', allowedValues: ['azureStorage', 'durableTaskScheduler'] });
    expect(template.parameters.durableAlwaysReadyInstances).toMatchObject({ defaultValue: 1 });
  });

  describeWithSnapshot('what a deployment creates (bicep snapshot, per durable backend)', () => {
    const storage = () => snapshotMain(bicep, 'azureStorage', parametersFor('azureStorage')).predictedResources;
    const scheduler = () => snapshotMain(bicep, 'durableTaskScheduler', parametersFor('durableTaskScheduler')).predictedResources;

    test('both: Node 22 on Flex Consumption, one always-ready instance for the durable group and none for HTTP', () => {
      for (const resources of [storage(), scheduler()]) {
        expect(one(resources, 'Microsoft.Web/serverfarms')).toMatchObject({ sku: { name: 'FC1', tier: 'FlexConsumption' } });
        const config = (one(resources, 'Microsoft.Web/sites').properties as { functionAppConfig: Record<string, unknown> }).functionAppConfig;
        expect(config.runtime).toEqual({ name: 'node', version: '22' });
        expect((config.scaleAndConcurrency as { alwaysReady: unknown }).alwaysReady).toEqual([{ name: 'durable', instanceCount: 1 }]);
      }
    });

    test('azureStorage: no Durable Task Scheduler resources and no durableTask override, so host.json applies', () => {
      const resources = storage();
      expect(resources.filter((r) => r.type.startsWith('Microsoft.DurableTask/'))).toEqual([]);
      const settings = Object.keys(appSettings(resources));
      expect(settings.filter((k) => k.startsWith('AzureFunctionsJobHost__') || k.startsWith('DURABLE_'))).toEqual([]);
    });

    test('durableTaskScheduler adds exactly a scheduler, its task hub and one role assignment', () => {
      const before = countByType(storage());
      const after = countByType(scheduler());
      const added: Record<string, number> = {};
      for (const [type, n] of Object.entries(after)) if (n !== (before[type] ?? 0)) added[type] = n - (before[type] ?? 0);
      expect(added).toEqual({
        'Microsoft.DurableTask/schedulers': 1,
        'Microsoft.DurableTask/schedulers/taskHubs': 1,
        'Microsoft.Authorization/roleAssignments': 1,
      });
    });

    test("durableTaskScheduler: the task hub is host.json's hub, and the app's identity is Durable Task Data Contributor on it", () => {
      const resources = scheduler();
      const schedulerResource = one(resources, 'Microsoft.DurableTask/schedulers');
      expect(schedulerResource.properties).toEqual({ ipAllowlist: ['0.0.0.0/0'], sku: { name: 'Consumption' } });
      const hub = one(resources, 'Microsoft.DurableTask/schedulers/taskHubs');
      expect(hub.name).toBe(`${schedulerResource.name}/${hostJson.extensions.durableTask.hubName}`);
      const roles = ofType(resources, 'Microsoft.Authorization/roleAssignments').filter((r) => JSON.stringify(r).includes(DTS_DATA_CONTRIBUTOR));
      expect(roles).toHaveLength(1);
      expect(roles[0].id).toContain(hub.id); // scoped to the task hub
      expect(roles[0].properties).toMatchObject({ principalType: 'ServicePrincipal' });
      expect(String(roles[0].properties?.principalId)).toContain('Microsoft.ManagedIdentity/userAssignedIdentities');
    });

    test("a store's webhook: its URL, its secret as a Key Vault reference resolved with the app's identity, and nothing for stores without one", () => {
      const vault = 'https://kv-example.vault.azure.net/secrets/fabrikam-webhook';
      const stores = [
        { id: 'FABRIKAM', name: 'Fabrikam', asyncMode: true, webhookUrl: 'https://hooks.example.com/commerce', webhookSecretUri: vault },
        { id: 'CONTOSO', name: 'Contoso', asyncMode: false },
      ];
      const resources = snapshotMain(bicep, 'webhook', { ...parametersFor('azureStorage'), stores }).predictedResources;
      const settings = appSettings(resources);
      expect(settings).toMatchObject({
        Channels__FABRIKAM__webhookUrl: 'https://hooks.example.com/commerce',
        Channels__FABRIKAM__webhookSecret: `@Microsoft.KeyVault(SecretUri=${vault})`,
      });
      expect(Object.keys(settings).filter((k) => /webhook/i.test(k) && k.includes('CONTOSO'))).toEqual([]);
      const site = one(resources, 'Microsoft.Web/sites');
      expect(String(site.properties?.keyVaultReferenceIdentity)).toContain('Microsoft.ManagedIdentity/userAssignedIdentities');
    });

    test('durableTaskScheduler: app settings switch storageProvider to azureManaged with the identity', () => {
      const resources = scheduler();
      const settings = appSettings(resources);
      const storageSettings = appSettings(storage());
      expect(
        Object.keys(settings)
          .filter((k) => !(k in storageSettings))
          .sort(),
      ).toEqual(DTS_SETTINGS);
      expect(settings).toMatchObject({
        AzureFunctionsJobHost__extensions__durableTask__storageProvider__type: 'azureManaged',
        AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionStringName: 'DURABLE_TASK_SCHEDULER_CONNECTION_STRING',
        AzureFunctionsJobHost__extensions__durableTask__hubName: hostJson.extensions.durableTask.hubName,
      });
      const connection = settings.DURABLE_TASK_SCHEDULER_CONNECTION_STRING;
      expect(connection).toContain("'Endpoint={0};Authentication=ManagedIdentity;ClientID={1}'");
      expect(connection).toContain(`${one(resources, 'Microsoft.DurableTask/schedulers').id}', '2025-11-01').endpoint`);
      expect(connection).toMatch(/userAssignedIdentities\/[^']+', '[0-9-]+'\)\.clientId/);
    });
  });
});
