/**
 * Keeps the code and infra/ in step without a Bicep compiler: the .bicep files are read as text.
 *
 * - Every setting readConfig() reads is set in infra/modules/app-settings.bicep, or is on the
 *   commented allow-list of settings that are meaningfully absent in Azure (and then must NOT be set).
 *   The settings are discovered by running readConfig() over a recording Proxy, not by a list kept
 *   by hand; grouped settings (Channels__{id}__*, FunctionalityProfiles__{id}__*) are discovered by
 *   seeding one member of each group and must be emitted by the stores generator.
 * - Every container of CONTAINERS (shared/adapters/cosmos/layout.ts) is declared in infra/modules/cosmos.bicep
 *   with the same database and partition key, and nothing else is; the database names and the queue
 *   name defaults match the code; both queues of queueNames() are declared.
 * - Cheap structural checks a compiler would do: brackets balance, module files exist, modules get
 *   exactly the params they declare (all required ones), imported types are exported.
 * - Each checker is also run against a deliberately drifted input to prove it reports the drift.
 * - Where a Bicep CLI is found (test/infra/bicep-cli.ts), the same checks run on what the compiler
 *   produces: the compiled template's parameter defaults, and `bicep snapshot` of main.bicep with
 *   main.parameters.json (the app settings, Cosmos containers and queues a deployment would create,
 *   evaluated by Bicep rather than read as text). Without a CLI that part reports itself skipped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ConfigurationError, readConfig } from '../../shared/core/config/settings';
import { CONTAINERS, ContainerSpec } from '../../shared/adapters/cosmos/layout';
import { queueNames } from '../../shared/adapters/queue/provision';
import { buildMain, findBicepCli, hasSnapshot, snapshotMain, type BicepCli, type PredictedResource } from './bicep-cli';

const ROOT = path.resolve(__dirname, '..', '..');
const INFRA = path.join(ROOT, 'infra');
const infraFile = (rel: string): string => fs.readFileSync(path.join(INFRA, rel), 'utf8');

type Env = Record<string, string | undefined>;
type ConfigReader = (env: Env) => unknown;

// ---------------------------------------------------------------------------------------------
// Settings

/**
 * Settings the code reads that infra deliberately does not set. Each must still be read by the
 * code (a stale entry fails) and must not appear in app-settings.bicep.
 */
const ABSENT_IN_AZURE: Readonly<Record<string, string>> = {
  // A connection string needs shared keys, which are off (allowSharedKeyAccess: false); Azure
  // uses the identity-based AzureWebJobsStorage__* settings instead.
  AzureWebJobsStorage: 'connection string; identity-based AzureWebJobsStorage__* instead',
  // Optional: only when the async queue lives in another account. In Azure it shares
  // AzureWebJobsStorage's account.
  AsyncQueue__connection: 'optional; the queue lives in the AzureWebJobsStorage account',
  // Cosmos keys are disabled (disableLocalAuth); without a key the app uses DefaultAzureCredential.
  CosmosDb__key: 'Cosmos DB local auth is disabled; managed identity instead',
  // Local benchmark knob that slows the simulated HQ; never wanted in Azure.
  Hq__simulatedLatencyMs: 'dev/benchmark only',
};

/**
 * One seeded member per grouped setting family, so that readConfig() enumerates (ownKeys) and then
 * reads the per-member settings; the seeded ids are turned back into placeholders.
 */
const GROUP_SEEDS: Readonly<Record<string, { env: Env; placeholder: [string, string] }>> = {
  Channels: { env: { Channels__ZZCHANNEL__functionalityProfile: 'ZZPROFILE' }, placeholder: ['ZZCHANNEL', '{channelId}'] },
  FunctionalityProfiles: {
    env: { FunctionalityProfiles__ZZPROFILE__createCustomerInAsyncMode: 'true' },
    placeholder: ['ZZPROFILE', '{profileId}'],
  },
};

interface DiscoveredSettings {
  /** Settings read by their fixed name. */
  fixed: Set<string>;
  /** Settings read per group member, with the member id as a placeholder: Channels__{channelId}__name. */
  grouped: Set<string>;
  /** Whether the reader enumerated the environment (ownKeys), as grouped settings need. */
  enumerated: boolean;
}

function discoverSettings(reader: ConfigReader): DiscoveredSettings {
  const reads = new Set<string>();
  let enumerated = false;
  const seeded: Env = Object.assign({}, ...Object.values(GROUP_SEEDS).map((g) => g.env));
  const env = new Proxy(seeded, {
    get(target, key, receiver) {
      if (typeof key === 'string') reads.add(key);
      return Reflect.get(target, key, receiver);
    },
    ownKeys(target) {
      enumerated = true;
      return Reflect.ownKeys(target);
    },
  });
  try {
    reader(env);
  } catch (error) {
    // Required settings are missing from the recording env: expected, the reads happened anyway.
    if (!(error instanceof ConfigurationError)) throw error;
  }
  const fixed = new Set<string>();
  const grouped = new Set<string>();
  for (const key of reads) {
    let general = key;
    for (const { placeholder } of Object.values(GROUP_SEEDS)) general = general.split(placeholder[0]).join(placeholder[1]);
    (general === key ? fixed : grouped).add(general);
  }
  return { fixed, grouped, enumerated };
}

/** Bicep text without comments (// and /* *\/), keeping strings intact. */
function stripBicepComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === "'") inString = false;
    } else if (c === "'") {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else {
      out += c;
    }
  }
  return out;
}

/** Object property names declared in Bicep text: `Name:` or `'Name':`, interpolations as `{id}`. */
function declaredPropertyNames(bicep: string): { fixed: Set<string>; patterns: Set<string> } {
  const fixed = new Set<string>();
  const patterns = new Set<string>();
  for (const line of stripBicepComments(bicep).split('\n')) {
    const bare = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/.exec(line);
    const quoted = /^\s*'([^']+)'\s*:/.exec(line);
    if (bare) fixed.add(bare[1]);
    else if (quoted) {
      if (quoted[1].includes('${')) patterns.add(quoted[1].replace(/\$\{[^}]*\}/g, '{id}'));
      else fixed.add(quoted[1]);
    }
  }
  return { fixed, patterns };
}

/** Problems between what the code reads and what app-settings.bicep sets; empty when in step. */
function checkSettingDrift(
  discovered: DiscoveredSettings,
  appSettingsBicep: string,
  absent: Readonly<Record<string, string>> = ABSENT_IN_AZURE,
  settingsSource?: string,
): string[] {
  const problems: string[] = [];
  const declared = declaredPropertyNames(appSettingsBicep);
  for (const name of [...discovered.fixed].sort()) {
    if (name in absent) continue;
    if (!declared.fixed.has(name)) problems.push(`setting ${name} is read by the code but not set in infra/modules/app-settings.bicep`);
  }
  for (const [name, why] of Object.entries(absent)) {
    if (!discovered.fixed.has(name)) problems.push(`allow-listed setting ${name} (${why}) is no longer read by the code: drop it from the allow-list`);
    if (declared.fixed.has(name)) problems.push(`setting ${name} must not be set in Azure (${why})`);
  }
  if (discovered.grouped.size > 0 && !discovered.enumerated) problems.push('grouped settings were read without enumerating the environment');
  for (const pattern of [...discovered.grouped].sort()) {
    const general = pattern.replace(/\{[A-Za-z]+\}/g, '{id}');
    if (!declared.patterns.has(general)) {
      problems.push(
        `grouped setting ${pattern} is read by the code but the stores generator in app-settings.bicep does not emit '${general.replace('{id}', '${store.id}')}'`,
      );
    }
  }
  if (settingsSource !== undefined) {
    // A new groupKeys('X') family would not be seeded, so its members would go unnoticed.
    for (const m of settingsSource.matchAll(/groupKeys\(\s*'([^']+)'\s*\)/g)) {
      if (!(m[1] in GROUP_SEEDS)) problems.push(`settings.ts enumerates group ${m[1]}__* which this test does not seed (add it to GROUP_SEEDS)`);
    }
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Bicep text helpers

/** The text between the bracket opening at `open` and its match (strings and comments skipped). */
function bracketBody(text: string, open: number): string {
  const pairs: Record<string, string> = { '[': ']', '{': '}', '(': ')' };
  const stack: string[] = [];
  const clean = stripBicepComments(text.slice(open));
  let inString = false;
  for (let i = 0; i < clean.length; i++) {
    const c = clean[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === "'") inString = false;
      continue;
    }
    if (c === "'") inString = true;
    else if (c in pairs) stack.push(pairs[c]);
    else if (c === ']' || c === '}' || c === ')') {
      if (stack.pop() !== c) throw new Error(`unbalanced ${c}`);
      if (stack.length === 0) return clean.slice(1, i);
    }
  }
  throw new Error('unterminated bracket');
}

/** Top-level `{...}` blocks of an array body. */
function topLevelObjects(arrayBody: string): string[] {
  const blocks: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < arrayBody.length; i++) {
    const c = arrayBody[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === "'") inString = false;
      continue;
    }
    if (c === "'") inString = true;
    else if (c === '{' || c === '[') {
      if (depth === 0 && c === '{') start = i;
      depth++;
    } else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0 && c === '}') blocks.push(arrayBody.slice(start + 1, i));
    }
  }
  return blocks;
}

function varArray(bicep: string, name: string): string {
  const m = new RegExp(`^var ${name}\\s*=\\s*\\[`, 'm').exec(bicep);
  if (!m) throw new Error(`var ${name} = [...] not found`);
  return bracketBody(bicep, m.index + m[0].length - 1);
}

function stringProperty(block: string, key: string): string | undefined {
  return new RegExp(`^\\s*${key}\\s*:\\s*'([^']*)'`, 'm').exec(block)?.[1];
}

function paramDefault(bicep: string, name: string): string | undefined {
  return new RegExp(`^param ${name} string = '([^']*)'`, 'm').exec(bicep)?.[1];
}

// ---------------------------------------------------------------------------------------------
// Containers and queues

interface DeclaredContainer {
  database: string;
  id: string;
  partitionKey: string;
}

function declaredContainers(cosmosBicep: string): DeclaredContainer[] {
  return topLevelObjects(varArray(cosmosBicep, 'containers')).map((block) => ({
    database: stringProperty(block, 'database') ?? '?',
    id: stringProperty(block, 'id') ?? '?',
    partitionKey: stringProperty(block, 'partitionKey') ?? '?',
  }));
}

function checkContainerDrift(layout: Readonly<Record<string, ContainerSpec>>, cosmosBicep: string): string[] {
  const problems: string[] = [];
  const declared = new Map(declaredContainers(cosmosBicep).map((c) => [`${c.database}/${c.id}`, c]));
  const expected = new Map(Object.values(layout).map((c) => [`${c.database}/${c.id}`, c]));
  for (const [key, spec] of expected) {
    const infra = declared.get(key);
    if (!infra) problems.push(`container ${key} (partition key ${spec.partitionKey}) is in CONTAINERS but not in infra/modules/cosmos.bicep`);
    else if (infra.partitionKey !== spec.partitionKey) {
      problems.push(`container ${key}: partition key ${spec.partitionKey} in the code, ${infra.partitionKey} in infra`);
    }
  }
  for (const key of declared.keys()) {
    if (!expected.has(key)) problems.push(`container ${key} is declared in infra but not in CONTAINERS`);
  }
  return problems;
}

/** Queue names storage.bicep creates, with `${asyncQueueName}` resolved to main.bicep's default. */
function declaredQueues(storageBicep: string, asyncQueueName: string): string[] {
  return stripBicepComments(varArray(storageBicep, 'queueNames'))
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((entry) => (entry === 'asyncQueueName' ? asyncQueueName : entry.replace(/^'|'$/g, '').split('${asyncQueueName}').join(asyncQueueName)));
}

function checkQueueDrift(expected: string[], storageBicep: string, mainBicep: string): string[] {
  const problems: string[] = [];
  const defaultName = paramDefault(mainBicep, 'asyncQueueName');
  if (defaultName === undefined) return ['main.bicep: param asyncQueueName string = ... not found'];
  const declared = declaredQueues(storageBicep, defaultName);
  for (const name of expected) if (!declared.includes(name)) problems.push(`queue ${name} is used by the code but not declared in infra/modules/storage.bicep`);
  for (const name of declared) if (!expected.includes(name)) problems.push(`queue ${name} is declared in infra but not used by the code`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Structure (what a compiler would catch first)

function bicepFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.bicep')) out.push(path.relative(INFRA, full));
    }
  };
  walk(INFRA);
  return out.sort();
}

function declaredParams(bicep: string): Map<string, { required: boolean }> {
  const params = new Map<string, { required: boolean }>();
  for (const m of stripBicepComments(bicep).matchAll(/^param (\w+) ([^\n=]+?)\s*(=.*)?$/gm)) {
    params.set(m[1], { required: m[3] === undefined && !m[2].trim().endsWith('?') });
  }
  return params;
}

function checkModuleWiring(fileRel: string): string[] {
  const problems: string[] = [];
  const text = infraFile(fileRel);
  for (const m of text.matchAll(/^module (\w+) '([^']+)' = (?:if \([^\n]*\) )?\{/gm)) {
    const target = path.join(path.dirname(path.join(INFRA, fileRel)), m[2]);
    if (!fs.existsSync(target)) {
      problems.push(`${fileRel}: module ${m[1]} points at missing ${m[2]}`);
      continue;
    }
    const body = bracketBody(text, m.index + m[0].length - 1);
    const paramsAt = /^\s*params:\s*\{/m.exec(body);
    const passed = new Set<string>();
    if (paramsAt) {
      const paramsBody = bracketBody(body, paramsAt.index + paramsAt[0].length - 1);
      let depth = 0;
      for (const line of paramsBody.split('\n')) {
        const key = /^\s*(\w+)\s*:/.exec(line);
        if (depth === 0 && key) passed.add(key[1]);
        for (const c of line.replace(/'[^']*'/g, '')) {
          if (c === '{' || c === '[' || c === '(') depth++;
          else if (c === '}' || c === ']' || c === ')') depth--;
        }
      }
    }
    const declared = declaredParams(fs.readFileSync(target, 'utf8'));
    for (const p of passed) if (!declared.has(p)) problems.push(`${fileRel}: module ${m[1]} passes unknown param ${p}`);
    for (const [p, { required }] of declared) if (required && !passed.has(p)) problems.push(`${fileRel}: module ${m[1]} misses required param ${p}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------

/** A full, valid environment (Azure-like: identity-based storage, no keys). */
const VALID_ENV: Env = {
  AzureWebJobsStorage__accountName: 'stexample',
  CosmosDb__endpoint: 'https://cosmos-example.documents.azure.com:443/',
};

describe('infra drift', () => {
  const appSettingsBicep = infraFile('modules/app-settings.bicep');
  const cosmosBicep = infraFile('modules/cosmos.bicep');
  const storageBicep = infraFile('modules/storage.bicep');
  const mainBicep = infraFile('main.bicep');
  const settingsSource = fs.readFileSync(path.join(ROOT, 'shared', 'core', 'config', 'settings.ts'), 'utf8');

  describe('settings', () => {
    const discovered = discoverSettings(readConfig);

    it('discovers the settings readConfig reads, fixed and grouped', () => {
      expect(discovered.enumerated).toBe(true);
      expect(discovered.fixed).toContain('CosmosDb__endpoint');
      expect(discovered.fixed).toContain('Features__AsyncCustomerEditing');
      expect([...discovered.grouped].sort()).toEqual([
        'Channels__{channelId}__functionalityProfile',
        'Channels__{channelId}__name',
        'Channels__{channelId}__webhookSecret',
        'Channels__{channelId}__webhookUrl',
        'FunctionalityProfiles__{profileId}__createCustomerInAsyncMode',
        'FunctionalityProfiles__{profileId}__fallbackToAsyncWhenHqUnavailable',
      ]);
    });

    it('every setting the code reads is set by infra (or allow-listed as absent in Azure)', () => {
      expect(checkSettingDrift(discovered, appSettingsBicep, ABSENT_IN_AZURE, settingsSource)).toEqual([]);
    });

    it('reports a setting added to the code only', () => {
      const withNewSetting: ConfigReader = (env) => {
        void env['Sync__newKnob'];
        return readConfig(env);
      };
      expect(checkSettingDrift(discoverSettings(withNewSetting), appSettingsBicep)).toEqual([
        expect.stringContaining('Sync__newKnob is read by the code but not set'),
      ]);
    });

    it('reports a per-store setting added to the code only', () => {
      const withNewChannelSetting: ConfigReader = (env) => {
        for (const key of Object.keys(env)) {
          const m = /^Channels__([A-Za-z0-9]+)__/.exec(key);
          if (m) void env[`Channels__${m[1]}__region`];
        }
        return readConfig(env);
      };
      expect(checkSettingDrift(discoverSettings(withNewChannelSetting), appSettingsBicep)).toEqual([
        expect.stringContaining(
          "Channels__{channelId}__region is read by the code but the stores generator in app-settings.bicep does not emit 'Channels__${store.id}__region'",
        ),
      ]);
    });

    it('reports a setting dropped from infra, and a key-based setting sneaking in', () => {
      const withoutServicing = appSettingsBicep.replace(/^\s*Hq__servicing:.*$/m, '');
      expect(checkSettingDrift(discovered, withoutServicing)).toEqual([expect.stringContaining('Hq__servicing')]);
      const withKey = appSettingsBicep.replace(/^(\s*)CosmosDb__endpoint:/m, "$1CosmosDb__key: 'secret'\n$1CosmosDb__endpoint:");
      expect(checkSettingDrift(discovered, withKey)).toEqual([expect.stringContaining('CosmosDb__key must not be set')]);
      const withoutGenerator = appSettingsBicep.replace(/^.*__fallbackToAsyncWhenHqUnavailable'.*$/m, '');
      expect(checkSettingDrift(discovered, withoutGenerator)).toEqual([
        expect.stringContaining('FunctionalityProfiles__{profileId}__fallbackToAsyncWhenHqUnavailable'),
      ]);
    });

    it('reports a new grouped family the test does not seed', () => {
      const source = `${settingsSource}\nread.groupKeys('Regions');`;
      expect(checkSettingDrift(discovered, appSettingsBicep, ABSENT_IN_AZURE, source)).toEqual([expect.stringContaining('group Regions__*')]);
    });

    it('the allow-listed settings are not set in infra, so comments do not count as declarations', () => {
      const names = declaredPropertyNames(appSettingsBicep).fixed;
      for (const name of Object.keys(ABSENT_IN_AZURE)) expect(names).not.toContain(name);
      expect(appSettingsBicep).toContain('CosmosDb__key'); // mentioned in comments only
    });
  });

  describe('storage layout', () => {
    it('declares every container of CONTAINERS with its database and partition key', () => {
      expect(declaredContainers(cosmosBicep)).toHaveLength(Object.keys(CONTAINERS).length);
      expect(checkContainerDrift(CONTAINERS, cosmosBicep)).toEqual([]);
    });

    it('reports a container added to the code only, or a changed partition key', () => {
      const added = { ...CONTAINERS, outbox: { database: 'channel', id: 'outbox', partitionKey: '/channelId', purpose: 'test' } } as const;
      expect(checkContainerDrift(added, cosmosBicep)).toEqual([expect.stringContaining('container channel/outbox')]);
      const changed = { ...CONTAINERS, hqOperations: { ...CONTAINERS.hqOperations, partitionKey: '/channelId' } };
      expect(checkContainerDrift(changed, cosmosBicep)).toEqual(['container hq/asyncOperations: partition key /channelId in the code, /customerId in infra']);
      const { hqSyncRuns: _dropped, ...removed } = CONTAINERS;
      expect(checkContainerDrift(removed, cosmosBicep)).toEqual(['container hq/syncRuns is declared in infra but not in CONTAINERS']);
    });

    it('uses the same database names and queue name defaults as the code', () => {
      const config = readConfig(VALID_ENV);
      expect(paramDefault(mainBicep, 'cosmosHqDatabaseName')).toBe(config.cosmos.hqDatabase);
      expect(paramDefault(mainBicep, 'cosmosChannelDatabaseName')).toBe(config.cosmos.channelDatabase);
      expect(paramDefault(mainBicep, 'asyncQueueName')).toBe(config.asyncQueue.name);
    });

    it('declares both queues of queueNames()', () => {
      const expected = queueNames(readConfig(VALID_ENV).asyncQueue.name);
      expect(expected).toEqual(['async-customer-operations', 'async-customer-operations-poison']);
      expect(checkQueueDrift(expected, storageBicep, mainBicep)).toEqual([]);
    });

    it('reports a queue added to the code only', () => {
      const expected = [...queueNames('async-customer-operations'), 'async-customer-operations-archive'];
      expect(checkQueueDrift(expected, storageBicep, mainBicep)).toEqual([expect.stringContaining('queue async-customer-operations-archive')]);
    });
  });

  describe('bicep structure', () => {
    const files = bicepFiles();

    it('has the expected files', () => {
      expect(files).toEqual(
        expect.arrayContaining([
          'main.bicep',
          'types.bicep',
          path.join('modules', 'app-settings.bicep'),
          path.join('modules', 'cosmos.bicep'),
          path.join('modules', 'function-app.bicep'),
          path.join('modules', 'identity.bicep'),
          path.join('modules', 'monitoring.bicep'),
          path.join('modules', 'rbac.bicep'),
          path.join('modules', 'storage.bicep'),
        ]),
      );
    });

    it.each(files)('%s has balanced brackets', (file) => {
      const text = `[${infraFile(file)}]`;
      expect(() => bracketBody(text, 0)).not.toThrow();
      expect(bracketBody(text, 0).length).toBeGreaterThan(0);
    });

    it('modules exist and get exactly the params they declare', () => {
      expect(files.flatMap(checkModuleWiring)).toEqual([]);
    });

    it('imported types are exported by types.bicep', () => {
      const types = infraFile('types.bicep');
      for (const file of files) {
        for (const m of infraFile(file).matchAll(/^import \{([^}]+)\} from '([^']+)'/gm)) {
          expect(path.resolve(path.dirname(path.join(INFRA, file)), m[2])).toBe(path.join(INFRA, 'types.bicep'));
          for (const name of m[1].split(',').map((s) => s.trim())) {
            expect(types).toMatch(new RegExp(`@export\\(\\)\\n(@description\\([^\\n]*\\)\\n)?type ${name} =`));
          }
        }
      }
    });

    it('main.parameters.json uses azd substitution and a valid stores list', () => {
      const parameters = JSON.parse(infraFile('main.parameters.json')).parameters;
      expect(parameters.environmentName.value).toBe('${AZURE_ENV_NAME}');
      expect(parameters.location.value).toBe('${AZURE_LOCATION}');
      const declared = declaredParams(mainBicep);
      for (const name of Object.keys(parameters)) expect(declared.has(name)).toBe(true);
      const stores = parameters.stores.value as Array<Record<string, unknown>>;
      expect(stores.length).toBeGreaterThan(0);
      for (const store of stores) {
        expect(store.id).toMatch(/^[A-Za-z0-9_]+$/);
        expect(typeof store.name).toBe('string');
        expect(typeof store.asyncMode).toBe('boolean');
      }
      expect(new Set(stores.map((s) => s.id)).size).toBe(stores.length);
    });

    it('the generated settings of the sample stores are a configuration readConfig accepts', () => {
      // Evaluate the generator by hand for the sample stores and feed the result to the app.
      const stores = JSON.parse(infraFile('main.parameters.json')).parameters.stores.value as Array<{
        id: string;
        name: string;
        asyncMode: boolean;
        fallbackToAsyncWhenHqUnavailable?: boolean;
      }>;
      const env: Env = { ...VALID_ENV };
      for (const s of stores) {
        env[`Channels__${s.id}__name`] = s.name;
        env[`Channels__${s.id}__functionalityProfile`] = s.id;
        env[`FunctionalityProfiles__${s.id}__createCustomerInAsyncMode`] = s.asyncMode ? 'true' : 'false';
        env[`FunctionalityProfiles__${s.id}__fallbackToAsyncWhenHqUnavailable`] = s.fallbackToAsyncWhenHqUnavailable ? 'true' : 'false';
      }
      const config = readConfig(env);
      expect([...config.channels.keys()].sort()).toEqual(stores.map((s) => s.id).sort());
      for (const s of stores) {
        expect(config.profiles.get(config.channels.get(s.id)!.functionalityProfile)?.createCustomerInAsyncMode).toBe(s.asyncMode);
      }
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The same drift, read from what the Bicep compiler produces

const cli = findBicepCli();
const compiled = cli.found && hasSnapshot(cli);
if (!compiled) {
  console.warn(`test/infra/drift.test.ts: compiled-template checks SKIPPED, ${cli.found ? `Bicep ${cli.version} has no snapshot command` : cli.reason}`);
}
const describeCompiled = compiled ? describe : describe.skip;

/** main.parameters.json with azd's ${...} substitutions filled in as azd would. */
function sampleParameters(): Record<string, unknown> {
  const azd: Record<string, string> = { AZURE_ENV_NAME: 'ci', AZURE_LOCATION: 'westeurope', AZURE_PRINCIPAL_ID: '' };
  const parameters = JSON.parse(infraFile('main.parameters.json')).parameters as Record<string, { value: unknown }>;
  const substitute = (value: unknown): unknown => (typeof value === 'string' ? value.replace(/\$\{(\w+)\}/g, (_m, name: string) => azd[name] ?? '') : value);
  return Object.fromEntries(Object.entries(parameters).map(([name, p]) => [name, substitute(p.value)]));
}

describeCompiled('infra drift, compiled (Bicep CLI)', () => {
  jest.setTimeout(300_000);
  const bicep = cli as Extract<BicepCli, { found: true }>;
  const resources = (): PredictedResource[] => snapshotMain(bicep, 'main-parameters', sampleParameters()).predictedResources;
  const ofType = (type: string) => resources().filter((r) => r.type === type);
  const deployedSettings = (): Record<string, string> => ofType('Microsoft.Web/sites/config')[0].properties as Record<string, string>;

  it("the compiled template has the code's database and queue name defaults", () => {
    const template = buildMain(bicep).template!;
    const config = readConfig(VALID_ENV);
    expect(template.parameters.cosmosHqDatabaseName.defaultValue).toBe(config.cosmos.hqDatabase);
    expect(template.parameters.cosmosChannelDatabaseName.defaultValue).toBe(config.cosmos.channelDatabase);
    expect(template.parameters.asyncQueueName.defaultValue).toBe(config.asyncQueue.name);
  });

  it('the deployed app settings name every setting the code reads, and none of the allow-listed ones', () => {
    const settings = Object.keys(deployedSettings());
    const discovered = discoverSettings(readConfig);
    const missing = [...discovered.fixed].filter((name) => !(name in ABSENT_IN_AZURE) && !settings.includes(name));
    expect(missing).toEqual([]);
    expect(settings.filter((name) => name in ABSENT_IN_AZURE)).toEqual([]);
  });

  it('the deployed app settings, with deployment-time values filled in, are a configuration readConfig accepts', () => {
    // Values Bicep leaves as [reference(...)] are only known at deployment: endpoints and ids.
    const env: Env = Object.fromEntries(
      Object.entries(deployedSettings()).map(([name, value]) => [name, value.startsWith('[') ? 'https://deployment-time.example/' : value]),
    );
    const config = readConfig(env);
    const stores = sampleParameters().stores as { id: string; asyncMode: boolean }[];
    expect([...config.channels.keys()].sort()).toEqual(stores.map((s) => s.id).sort());
    for (const store of stores) {
      expect(config.profiles.get(config.channels.get(store.id)!.functionalityProfile)?.createCustomerInAsyncMode).toBe(store.asyncMode);
    }
  });

  it('the deployed Cosmos containers are CONTAINERS, with the same partition keys', () => {
    const config = readConfig(VALID_ENV);
    const databases: Record<string, string> = { [config.cosmos.hqDatabase]: 'hq', [config.cosmos.channelDatabase]: 'channel' };
    const deployed = ofType('Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers').map((r) => {
      const [, database, id] = r.name.split('/');
      const resource = (r.properties as { resource: { partitionKey: { paths: string[] } } }).resource;
      return `${databases[database] ?? database}/${id} ${resource.partitionKey.paths.join(',')}`;
    });
    expect(deployed.sort()).toEqual(
      Object.values(CONTAINERS)
        .map((c) => `${c.database}/${c.id} ${c.partitionKey}`)
        .sort(),
    );
  });

  it('the deployed queues are queueNames()', () => {
    const deployed = ofType('Microsoft.Storage/storageAccounts/queueServices/queues').map((r) => r.name.split('/').pop());
    expect(deployed.sort()).toEqual(queueNames(readConfig(VALID_ENV).asyncQueue.name).sort());
  });

  it("the durable task hub of infra is host.json's", () => {
    const hostJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'host.json'), 'utf8'));
    const outputs = snapshotMain(bicep, 'main-parameters', sampleParameters()).outputs;
    const hub = outputs.DURABLE_TASK_HUB_NAME as { value?: unknown } | string;
    expect(typeof hub === 'object' && hub !== null ? hub.value : hub).toBe(hostJson.extensions.durableTask.hubName);
  });
});
