/**
 * Time to HQ (DESIGN.md section 8, last bullet): a sign-up visible in HQ within 5 s of a sync run
 * started on demand. That needs the local host (HTTP routes, the durable client and the
 * orchestration replayed end to end), which is built separately as scripts/local-host/; until it
 * is merged this row reports itself skipped rather than measure something else under its name.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Row } from './report';

export function localHostPresent(): boolean {
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return existsSync(path.join(dir, 'scripts', 'local-host', 'index.ts'));
  }
  return false;
}

export function timeToHqRow(): Row {
  return {
    figure: 'time to HQ (needs the local host)',
    value: 'skipped',
    target: '<= 5 s at low load',
    pass: 'skipped',
    note: localHostPresent()
      ? 'scripts/local-host/index.ts exists now: wire this scenario to it'
      : 'placeholder: scripts/local-host/index.ts is not in this tree yet',
  };
}
