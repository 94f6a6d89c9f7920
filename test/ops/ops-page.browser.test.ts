/**
 * The operator page in headless Chromium: filter to Failed, open the operation, fix the name,
 * Save, Synchronize, see it Completed. A tiny node:http server adapts browser requests to the
 * handler factories (as the Functions host would), including the function-key check, so the page
 * is proven to pass `?code=` along.
 */
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { HttpRequest } from '@azure/functions';
import { chromium } from 'playwright-core';
import { opsPageHandler } from '../../functions/http/ops-page';
import {
  configHandler,
  getSyncStatusHandler,
  listSyncStatusHandler,
  metricsHandler,
  saveSyncStatusHandler,
  synchronizeOperationHandler,
} from '../../functions/http/ops-sync-status';
import { json } from '../../functions/http/problem';
import type { HttpHandler } from '../../functions/http/problem';
import type { RunningEmulators } from '../../scripts/emulators';
import type { Services } from '../../functions/composition-root';
import { createTestApp, runSync, signUpBody, TestApp, withEmulators } from '../support/environment';
import { invocationContext, noSyncLoop, read } from './http';

const CHROMIUM = '/usr/bin/chromium';
const FUNCTION_KEY = 'test-function-key';
const browserTest = existsSync(CHROMIUM) ? test : test.skip;
if (!existsSync(CHROMIUM)) console.warn(`ops page browser test skipped: ${CHROMIUM} is not installed (apt-get install chromium)`);

type Route = { method: string; pattern: RegExp; names: string[]; handler: HttpHandler };

function routes(services: () => Services): Route[] {
  const route = (method: string, template: string, handler: HttpHandler): Route => {
    const names: string[] = [];
    const pattern = new RegExp(`^${template.replace(/\{(\w+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)'))}/?$`);
    return { method, pattern, names, handler };
  };
  // Stands in for POST /api/ops/sync/run, whose real handler needs the durable client.
  const runNow: HttpHandler = async () => {
    await runSync(services());
    return json(202, { instanceId: 'customerSync' });
  };
  return [
    route('GET', '/api/ops', opsPageHandler()),
    route('GET', '/api/ops/customer-sync-status', listSyncStatusHandler(services)),
    route('GET', '/api/ops/customer-sync-status/{operationId}', getSyncStatusHandler(services)),
    route('PATCH', '/api/ops/customer-sync-status/{operationId}', saveSyncStatusHandler(services)),
    route(
      'POST',
      '/api/ops/customer-sync-status/{operationId}/synchronize',
      synchronizeOperationHandler(services, async () => false),
    ),
    route('GET', '/api/ops/metrics', metricsHandler(services, noSyncLoop)),
    route('GET', '/api/ops/config', configHandler(services)),
    route('POST', '/api/ops/sync/run', runNow),
  ];
}

function serve(table: Route[]): http.Server {
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- test-only server; the handlers it calls answer errors as problem responses (withProblems)
  return http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const key = req.headers['x-functions-key'] ?? url.searchParams.get('code');
    if (key !== FUNCTION_KEY) {
      res.writeHead(401).end();
      return;
    }
    for (const { method, pattern, names, handler } of table) {
      const match = req.method === method ? pattern.exec(url.pathname) : null;
      if (!match) continue;
      const params = Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));
      const body = chunks.length ? { string: Buffer.concat(chunks).toString('utf8') } : undefined;
      const request = new HttpRequest({ url: url.toString(), method, headers, body, params });
      const answer = read(await handler(request, invocationContext()), request);
      const responseHeaders = { ...answer.headers };
      responseHeaders['content-type'] ??= 'application/json';
      res.writeHead(answer.status, responseHeaders).end(answer.text);
      return;
    }
    res.writeHead(404).end();
  });
}

let emulators: RunningEmulators;
let app: TestApp;
let server: http.Server;
let baseUrl: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) return;
  emulators = await withEmulators();
  app = await createTestApp(emulators, { Sync__maxAttempts: '1' });
  server = serve(routes(() => app.services));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  app?.services.dispose();
  await emulators?.stop();
});

browserTest(
  'an operator filters to Failed, fixes the name, saves, synchronizes and sees it Completed',
  async () => {
    const { customers } = app.services;
    await customers.signUp('FABRIKAM', signUpBody('ok', { firstName: 'Dana', lastName: 'Park' }));
    const { customer } = await customers.signUp(
      'FABRIKAM',
      signUpBody('long', { firstName: `Maximilian${'a'.repeat(50)}`, lastName: `Oberhausen${'b'.repeat(50)}` }),
    );
    await runSync(app.services);
    await customers.signUp('FABRIKAM', signUpBody('new', { firstName: 'Lee', lastName: 'Chen' }));

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      page.setDefaultTimeout(10_000);
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
      page.on('response', (response) => response.status() >= 400 && problems.push(`${response.status()} ${new URL(response.url()).pathname}`));
      await page.goto(`${baseUrl}/api/ops/?code=${FUNCTION_KEY}`);

      await page.locator('#rows tr').nth(2).waitFor();
      await page.locator('[data-metric="Failed"]', { hasText: '1' }).waitFor();
      await page.getByLabel('Status', { exact: true }).selectOption('Failed');
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.getByText('1 operation shown.').waitFor();
      await page.locator('#rows tr td.error-text', { hasText: 'HQ rejected the customer' }).waitFor();

      await page.locator('#rows tr').first().getByRole('button').click();
      await page.getByRole('heading', { name: 'Customer Create — Failed' }).waitFor();
      await page.getByLabel('firstName', { exact: true }).fill('Maximilian');
      await page.getByLabel('lastName', { exact: true }).fill('Oberhausen');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Saved. Select Synchronize to send it to HQ now.').waitFor();

      await page.getByRole('button', { name: 'Synchronize' }).click();
      await page.getByText('Synchronized: the operation is Completed.').waitFor();
      await page.getByRole('heading', { name: 'Customer Create — Completed' }).waitFor();

      // Back to every operation: the fixed one is Completed with its account, the new one Pending sync.
      await page.getByRole('button', { name: 'Clear' }).click();
      await page.locator('#rows tr').nth(2).waitFor();
      await page.locator('#rows .pending-sync').first().waitFor();

      mkdirSync(path.join(__dirname, '../../test-results'), { recursive: true });
      await page.screenshot({ path: path.join(__dirname, '../../test-results/ops-page.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }

    const hq = await app.services.hq.getCustomer(customer.customerId);
    expect(hq).toMatchObject({ firstName: 'Maximilian', lastName: 'Oberhausen' });
    expect(await customers.get('FABRIKAM', customer.customerId)).toMatchObject({ syncStatus: 'Completed', accountNumber: hq!.accountNumber });
  },
  60_000,
);
