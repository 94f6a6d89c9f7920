/**
 * Finds a Bicep CLI and runs it for the infra tests: build, lint and snapshot of infra/main.bicep.
 *
 * Where a CLI is looked for, in order:
 *   1. BICEP_CLI: an explicit path to a `bicep` binary;
 *   2. `bicep` on PATH;
 *   3. the binary `az bicep install` keeps for the Azure CLI (~/.azure/bin/bicep), when `az` is on
 *      PATH (`az bicep` runs that same binary; asking az to install it would need the network);
 *   4. the NuGet package Azure.Bicep.CommandLine.linux-x64 in the NuGet cache
 *      ($NUGET_PACKAGES or ~/.nuget/packages), which `.ci/run` restores from
 *      infra/tools/bicep-cli.csproj: the pinned BICEP_VERSION first, else the newest there.
 * A candidate counts only when `bicep --version` answers. Found nowhere: the tests that need it
 * report themselves skipped, with the reason, never passed.
 *
 * Results are cached in the OS temp folder per content of infra/ and CLI version, so the drift
 * test and the bicep test compile once between them.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Keep in step with infra/tools/bicep-cli.csproj. */
export const BICEP_VERSION = '0.49.2';
export const NUGET_PACKAGE = 'Azure.Bicep.CommandLine.linux-x64';

export const ROOT = path.resolve(__dirname, '..', '..');
export const INFRA = path.join(ROOT, 'infra');
export const MAIN_BICEP = path.join(INFRA, 'main.bicep');

export type BicepCli = { found: true; path: string; version: string; source: string } | { found: false; reason: string };

function versionOf(binary: string): string | undefined {
  const result = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) return undefined;
  return /Bicep CLI version (\S+)/.exec(result.stdout)?.[1];
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Numeric comparison of dotted versions, newest first. */
function byVersionDescending(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  const pb = b.split(/[.-]/).map((p) => Number.parseInt(p, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pb[i] ?? 0) - (pa[i] ?? 0);
  return 0;
}

function nugetCandidates(): string[] {
  if (process.platform !== 'linux' || process.arch !== 'x64') return [];
  const cache = process.env.NUGET_PACKAGES ?? path.join(os.homedir(), '.nuget', 'packages');
  const dir = path.join(cache, NUGET_PACKAGE.toLowerCase());
  if (!existsSync(dir)) return [];
  const versions = readdirSync(dir).sort(byVersionDescending);
  const ordered = versions.includes(BICEP_VERSION) ? [BICEP_VERSION, ...versions.filter((v) => v !== BICEP_VERSION)] : versions;
  return ordered.map((v) => path.join(dir, v, 'tools', 'bicep')).filter((p) => existsSync(p));
}

let cached: BicepCli | undefined;

export function findBicepCli(): BicepCli {
  if (cached) return cached;
  const candidates: { path: string; source: string }[] = [];
  if (process.env.BICEP_CLI) candidates.push({ path: process.env.BICEP_CLI, source: 'BICEP_CLI' });
  const fromPath = onPath('bicep');
  if (fromPath) candidates.push({ path: fromPath, source: 'bicep on PATH' });
  const azBicep = path.join(os.homedir(), '.azure', 'bin', 'bicep');
  if (onPath('az') && existsSync(azBicep)) candidates.push({ path: azBicep, source: 'az bicep (~/.azure/bin/bicep)' });
  for (const p of nugetCandidates()) candidates.push({ path: p, source: `NuGet package ${NUGET_PACKAGE}` });
  const tried: string[] = [];
  for (const candidate of candidates) {
    const version = versionOf(candidate.path);
    if (version) return (cached = { found: true, path: candidate.path, version, source: candidate.source });
    tried.push(`${candidate.path} (did not answer --version)`);
  }
  const reason =
    'no Bicep CLI found: not BICEP_CLI, not `bicep` on PATH, not `az` with ~/.azure/bin/bicep, and not ' +
    `${NUGET_PACKAGE} in the NuGet cache (run \`dotnet restore infra/tools/bicep-cli.csproj\`, as .ci/run does)` +
    (tried.length ? `; tried ${tried.join(', ')}` : '');
  return (cached = { found: false, reason });
}

export interface Diagnostic {
  level: string;
  ruleId: string;
  message: string;
  location: string;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  diagnostics: Diagnostic[];
}

interface Sarif {
  runs: {
    results: {
      level?: string;
      ruleId?: string;
      message?: { text?: string };
      locations?: { physicalLocation?: { artifactLocation?: { uri?: string }; region?: { startLine?: number; startColumn?: number } } }[];
    }[];
  }[];
}

/** Diagnostics of a SARIF document (Bicep writes it to stdout for lint, to stderr for build). */
function sarifDiagnostics(text: string): Diagnostic[] {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) return [];
  const sarif = JSON.parse(text.slice(start, end + 1)) as Sarif;
  return sarif.runs.flatMap((run) =>
    run.results.map((r) => {
      const loc = r.locations?.[0]?.physicalLocation;
      const file = loc?.artifactLocation?.uri ? path.relative(ROOT, loc.artifactLocation.uri.replace(/^file:\/\//, '')) : '?';
      return {
        level: r.level ?? 'warning',
        ruleId: r.ruleId ?? '?',
        message: r.message?.text ?? '',
        location: `${file}:${loc?.region?.startLine ?? '?'}`,
      };
    }),
  );
}

function run(cli: Extract<BicepCli, { found: true }>, args: string[], cwd = ROOT): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(cli.path, args, { cwd, encoding: 'utf8', timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function cacheDir(cli: Extract<BicepCli, { found: true }>): string {
  const hash = createHash('sha256').update(cli.version);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'tools') walk(full);
      } else if (/\.(bicep|json|bicepparam)$/.test(entry.name)) {
        hash.update(path.relative(INFRA, full)).update(readFileSync(full));
      }
    }
  };
  walk(INFRA);
  const dir = path.join(os.tmpdir(), `infra-bicep-${hash.digest('hex').slice(0, 16)}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

function memo<T>(file: string, compute: () => T): T {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as T;
  const value = compute();
  writeFileSync(file, JSON.stringify(value));
  return value;
}

/** `bicep build infra/main.bicep --outdir <tmp>`: the result, and the compiled template. */
export function buildMain(cli: Extract<BicepCli, { found: true }>): RunResult & { template: ArmTemplate | undefined; outFile: string } {
  const dir = cacheDir(cli);
  const outFile = path.join(dir, 'main.json');
  const result = memo(path.join(dir, 'build.result.json'), () => {
    const r = run(cli, ['build', MAIN_BICEP, '--outfile', outFile, '--diagnostics-format', 'sarif']);
    return { ...r, diagnostics: [...sarifDiagnostics(r.stdout), ...sarifDiagnostics(r.stderr)] };
  });
  const template = existsSync(outFile) ? (JSON.parse(readFileSync(outFile, 'utf8')) as ArmTemplate) : undefined;
  return { ...result, template, outFile };
}

/** `bicep lint` of any file with infra/bicepconfig.json (not cached): proves the rules are live. */
export function lintWithInfraConfig(cli: Extract<BicepCli, { found: true }>, file: string): RunResult {
  const r = run(cli, ['lint', file, '--config', path.join(INFRA, 'bicepconfig.json'), '--diagnostics-format', 'sarif']);
  return { ...r, diagnostics: [...sarifDiagnostics(r.stdout), ...sarifDiagnostics(r.stderr)] };
}

/** `bicep lint infra/main.bicep` (with infra/bicepconfig.json, which Bicep discovers). */
export function lintMain(cli: Extract<BicepCli, { found: true }>): RunResult {
  const dir = cacheDir(cli);
  return memo(path.join(dir, 'lint.result.json'), () => {
    const r = run(cli, ['lint', MAIN_BICEP, '--diagnostics-format', 'sarif']);
    return { ...r, diagnostics: [...sarifDiagnostics(r.stdout), ...sarifDiagnostics(r.stderr)] };
  });
}

export interface ArmTemplate {
  parameters: Record<string, { type: string; defaultValue?: unknown; allowedValues?: unknown[]; metadata?: { description?: string } }>;
  resources: unknown;
  outputs?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface PredictedResource {
  id: string;
  type: string;
  name: string;
  apiVersion: string;
  location?: string;
  properties?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface Snapshot {
  predictedResources: PredictedResource[];
  diagnostics: unknown[];
  outputs: Record<string, unknown>;
}

/** A Bicep literal for a JSON value (objects, arrays, strings, numbers, booleans, null). */
function bicepLiteral(value: unknown, indent = ''): string {
  const inner = `${indent}  `;
  if (value === null) return 'null';
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\$\{/g, '\\${')}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.length === 0 ? '[]' : `[\n${value.map((v) => `${inner}${bicepLiteral(v, inner)}`).join('\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return entries.length === 0 ? '{}' : `{\n${entries.map(([k, v]) => `${inner}'${k}': ${bicepLiteral(v, inner)}`).join('\n')}\n${indent}}`;
}

/**
 * `bicep snapshot` of main.bicep with these parameter values: the resources a deployment would
 * create, with every condition, loop and expression Bicep can evaluate offline evaluated (values
 * known only at deployment, such as an identity's principal id, stay `[reference(...)]`).
 */
export function snapshotMain(cli: Extract<BicepCli, { found: true }>, name: string, parameters: Record<string, unknown>): Snapshot {
  const dir = path.join(cacheDir(cli), `snapshot-${name}`);
  mkdirSync(dir, { recursive: true });
  return memo(path.join(dir, 'snapshot.result.json'), () => {
    const paramFile = path.join(dir, `${name}.bicepparam`);
    const lines = [`using '${path.relative(dir, MAIN_BICEP).split(path.sep).join('/')}'`, ''];
    for (const [key, value] of Object.entries(parameters)) lines.push(`param ${key} = ${bicepLiteral(value)}`);
    writeFileSync(paramFile, `${lines.join('\n')}\n`);
    const r = run(
      cli,
      [
        'snapshot',
        paramFile,
        '--mode',
        'overwrite',
        '--tenant-id',
        '00000000-0000-0000-0000-000000000000',
        '--subscription-id',
        '00000000-0000-0000-0000-000000000000',
        '--location',
        String(parameters.location ?? 'westeurope'),
        '--deployment-name',
        name,
      ],
      dir,
    );
    const snapshotFile = path.join(dir, `${name}.snapshot.json`);
    if (r.status !== 0 || !existsSync(snapshotFile)) {
      throw new Error(`bicep snapshot ${name} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
    }
    return JSON.parse(readFileSync(snapshotFile, 'utf8')) as Snapshot;
  });
}

/** Whether this CLI has the `snapshot` command (Bicep 0.36 and later). */
export function hasSnapshot(cli: Extract<BicepCli, { found: true }>): boolean {
  return / snapshot /.test(run(cli, ['--help']).stdout);
}
