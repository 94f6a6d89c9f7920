/**
 * A storefront in its own process sending sign-ups at a steady rate (open loop: each one leaves
 * at its time whether or not the earlier ones were answered), recording for each when it was
 * answered; every `pollEvery`-th one it then polls on the channel view until its account number
 * shows. Prints the records as JSON.
 *
 *   node dist/scripts/bench/steady-load.js <baseUrl> <perSecond> <seconds> <firstIndex> <pollEvery>
 */
import { signUpBody } from './backlog';

export interface SteadySignUp {
  index: number;
  status: number;
  location: string | null;
  /** Epoch ms: when the sign-up was sent and when its answer came. */
  sentAt: number;
  answeredAt: number;
  /** Epoch ms the channel view first showed the account number (polled ones only). */
  seenAt?: number;
  error?: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function one(baseUrl: string, index: number, poll: boolean): Promise<SteadySignUp> {
  const sentAt = Date.now();
  try {
    const response = await fetch(`${baseUrl}/api/channels/FABRIKAM/customers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(signUpBody(index)),
    });
    await response.arrayBuffer();
    const record: SteadySignUp = { index, status: response.status, location: response.headers.get('location'), sentAt, answeredAt: Date.now() };
    if (poll && response.status === 202 && record.location) {
      const deadline = Date.now() + 300_000;
      while (Date.now() < deadline) {
        const view = (await (await fetch(`${baseUrl}${record.location}`)).json()) as { accountNumber?: string | null };
        if (view.accountNumber) {
          record.seenAt = Date.now();
          break;
        }
        await sleep(100);
      }
    }
    return record;
  } catch (error) {
    return { index, status: 0, location: null, sentAt, answeredAt: Date.now(), error: (error as Error).message };
  }
}

async function main(): Promise<void> {
  const [baseUrl, perSecond, seconds, first, pollEvery] = process.argv.slice(2);
  const count = Number(perSecond) * Number(seconds);
  const interval = 1000 / Number(perSecond);
  const t0 = performance.now();
  const pending: Promise<SteadySignUp>[] = [];
  for (let i = 0; i < count; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 0) await sleep(wait);
    pending.push(one(baseUrl, Number(first) + i, i % Number(pollEvery) === 0));
  }
  process.stdout.write(JSON.stringify(await Promise.all(pending)));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
