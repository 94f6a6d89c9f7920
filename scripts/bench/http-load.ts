/**
 * A storefront in its own process: posts sign-ups at a fixed concurrency to a URL and prints the
 * latencies as JSON. Keeping the load generator out of the host's process keeps its CPU from
 * being counted against the app, as with real storefronts calling over the network.
 *
 *   node dist/scripts/bench/http-load.js <baseUrl> <count> <concurrency> <firstIndex>
 */
import { signUpBody } from './backlog';
import { runLoad } from './load';

async function main(): Promise<void> {
  const [baseUrl, count, concurrency, first] = process.argv.slice(2);
  const result = await runLoad(
    Number(count),
    Number(concurrency),
    async (i) => {
      const response = await fetch(`${baseUrl}/api/channels/FABRIKAM/customers`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(signUpBody(Number(first) + i)),
      });
      const answer = await response.text();
      if (response.status !== 202) throw new Error(`sign-up answered ${response.status}: ${answer.slice(0, 300)}`);
    },
    { timeoutMs: 3_600_000 },
  );
  process.stdout.write(JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
