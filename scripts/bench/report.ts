/**
 * The benchmark's one table: figure, value, floor, ratio, target, pass/fail; printed to stdout
 * and written as JSON under bench-results/ (a timestamped file and latest.json).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchOptions } from './options';

export interface Row {
  figure: string;
  value: number | string;
  unit?: string;
  floor?: number | string;
  /** value / floor (or the ratio the target is about), when there is one. */
  ratio?: number;
  target: string;
  /** null: a figure reported for contrast or context, with no target. */
  pass: boolean | null | 'skipped';
  note?: string;
}

export function fmt(n: number | string | undefined, unit = ''): string {
  if (n === undefined) return '';
  if (typeof n === 'string') return n;
  if (!Number.isFinite(n)) return String(n);
  const digits = Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2;
  return `${n.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

export function renderTable(rows: Row[]): string {
  const header = ['figure', 'value', 'floor', 'ratio', 'target', 'result'];
  const cells = rows.map((r) => [
    r.figure,
    fmt(r.value, r.unit),
    fmt(r.floor, r.unit),
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}x`,
    r.target,
    r.pass === null ? '-' : r.pass === 'skipped' ? 'skipped' : r.pass ? 'PASS' : 'FAIL',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => `| ${c.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

export function writeResults(rows: Row[], options: BenchOptions, details: Record<string, unknown>, startedAt: Date): string {
  const dir = path.resolve(process.cwd(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const body = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    sizes: {
      signUps: options.signUps,
      concurrency: options.concurrency,
      drain: options.drain,
      drainFloor: options.drainFloor,
      scaleSmall: options.scaleSmall,
      scaleLarge: options.scaleLarge,
      hqLatencyMs: options.hqLatencyMs,
      steadyRate: options.steadyRate,
      steadySeconds: options.steadySeconds,
      idleWindowSeconds: options.idleWindowSeconds,
      idleMinutes: options.idleMinutes,
      recoveryBacklog: options.recoveryBacklog,
      quick: options.quick,
      only: [...options.only],
    },
    rows,
    details,
  };
  const text = JSON.stringify(body, null, 2);
  const file = path.join(dir, `bench-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, text);
  writeFileSync(path.join(dir, 'latest.json'), text);
  return file;
}
