/**
 * Serves the operator page: `functions/ops-page/index.html` with its stylesheet and script inlined,
 * so the page is one request and needs no further function-key-protected asset routes. The files
 * are plain text, not compiled: they are read from the project's `functions/ops-page/` whether this
 * module runs from `functions/http/` (ts-jest) or `dist/functions/http/` (the deployed build).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HttpHandler, withProblems } from './problem';

const CANDIDATE_DIRS = [path.join(__dirname, '../ops-page'), path.join(__dirname, '../../../functions/ops-page')];

let template: string | undefined;

export function opsPageTemplate(): string {
  if (template) return template;
  const dir = CANDIDATE_DIRS.find((candidate) => existsSync(path.join(candidate, 'index.html')));
  if (!dir) throw new Error(`the ops page is missing: looked in ${CANDIDATE_DIRS.join(', ')}`);
  const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
  // A function replacement: the script contains `$`, which a replacement string would interpret.
  template = read('index.html')
    .replace('/*{{ops.css}}*/', () => read('ops.css'))
    .replace('/*{{ops.js}}*/', () => read('ops.js'));
  return template;
}

export function opsPageHandler(): HttpHandler {
  return withProblems(async () => {
    const nonce = randomBytes(16).toString('base64');
    return {
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        // The function key may be in the page URL: keep it out of Referer headers.
        'referrer-policy': 'no-referrer',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'content-security-policy': `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'`,
      },
      body: opsPageTemplate().replaceAll('{{nonce}}', nonce),
    };
  });
}
