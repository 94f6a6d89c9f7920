/**
 * What one customer search costs on Cosmos: the requests the app's Cosmos client sends for it
 * (and the request charge the server reports, where it reports one), for each criterion, with a
 * small channel and with forty times as many customers. The number of requests does not grow with
 * the customers: the search is one query, answered from the index. The figures are printed for
 * docs/api.md; the assertion is on request counts only (no timing).
 */
import { PluginConfig, PluginOn } from '@azure/cosmos';
import { RequestCounter } from '../../scripts/bench/counting';
import { createTestApp, signUpBody, useEmulators } from '../support/environment';

const emulators = useEmulators();

test('one search is the same few requests whether the channel has 5 customers or 200', async () => {
  const counter = new RequestCounter();
  let charge = 0;
  const charges: PluginConfig = {
    on: PluginOn.request,
    plugin: async (context, _diagnostics, next) => {
      const response = await next(context);
      charge += Number(response.headers?.['x-ms-request-charge'] ?? 0) || 0;
      return response;
    },
  };
  const { services } = await createTestApp(emulators, {}, { cosmosPlugins: [counter.cosmosPlugin(), charges] });
  const signUp = (n: number) =>
    services.customers.signUp(
      'FABRIKAM',
      signUpBody(`cost-${n}`, { firstName: `Given${n}`, lastName: n === 0 ? 'Target' : `Family${n}`, phone: `+1555${String(n).padStart(7, '0')}` }),
    );

  const target = (await signUp(0)).customer;
  for (let n = 1; n < 5; n++) await signUp(n);
  const queries: Record<string, string[]> = {
    email: ['email=usercost-0@example.com'],
    phone: ['phone=+1 (555) 000-0000'],
    name: ['name=targ'],
    accountNumber: [`accountNumber=${target.custAccountAsync}`],
    'name and email': ['name=targ&email=usercost-0@example.com'],
  };

  const measure = async () => {
    const figures: Record<string, { requests: number; kinds: Record<string, number>; charge: number }> = {};
    for (const [criterion, [query]] of Object.entries(queries)) {
      const params = new URLSearchParams(query);
      await services.customerSearch.search('FABRIKAM', params.entries()); // warm: partition key ranges are cached after the first query
      counter.reset();
      charge = 0;
      const page = await services.customerSearch.search('FABRIKAM', params.entries());
      expect({ criterion, found: page.customers.map((c) => c.customerId) }).toEqual({ criterion, found: [target.customerId] });
      figures[criterion] = { requests: counter.cosmos.total, kinds: { ...counter.cosmos.byKind }, charge };
    }
    return figures;
  };

  const small = await measure();
  for (let n = 5; n < 200; n++) await signUp(n);
  const large = await measure();
  console.log(`customer search, Cosmos requests per search (channel of 5 customers, then 200): ${JSON.stringify({ small, large })}`);
  for (const criterion of Object.keys(queries)) {
    expect({ criterion, requests: large[criterion].requests }).toEqual({ criterion, requests: small[criterion].requests });
    expect(small[criterion].requests).toBeLessThanOrEqual(2);
  }
}, 120_000);
