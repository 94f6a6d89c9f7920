/**
 * Invariants 1-4 as properties, on the memory adapters with faults injected through the ports
 * (test/support/port-faults.ts): random sequences of storefront requests, duplicate deliveries,
 * HQ going into and out of servicing (with or without the profile's fallback to async),
 * activity re-runs, crashes between writes and sync runs, with faults injected at random calls.
 * Then faults go off, every request answered 5xx is retried once, sync runs to quiescence, and
 * the stores are compared with a model built from the answers the storefront gave:
 *
 * - every request answered 2xx is in HQ exactly once, with the last accepted values;
 * - one HQ customer per identity, one account number per custAccountAsync, no account number twice;
 * - a 4xx left no trace (every container and queue counted before and after);
 * - operations applied in order: HQ's appliedCounter = the channel's replicationCounter;
 * - FABRIKAM has a webhook: each of its customers has exactly one `customer.synced` delivery in
 *   the outbox (the outbox's writes fail too), with its account number; CONTOSO, without one, none.
 *
 * FAST_CHECK_RUNS sets the number of runs per model (default 200); FAST_CHECK_SEED (and
 * FAST_CHECK_PATH) replays one; the seed policy is in test/support/fast-check-seed.ts.
 */
import fc from 'fast-check';
import { customerIdFor, operationIdFor } from '../../shared/core/domain/identity';
import type { AsyncOperation } from '../../shared/core/domain/operation';
import { FAULT_KINDS, FaultKind, twice } from '../support/faults';
import { Answer, LogCapture, quiesce, Storefront, syncRun } from '../support/harness';
import { createFaultyMemoryApp, FaultyMemoryApp } from '../support/port-faults';

// On the memory adapters a run takes milliseconds: 200 per model is ten times what the emulators allowed.
const RUNS = Number(process.env.FAST_CHECK_RUNS ?? 200);

const logs = new LogCapture();
const personalData = new Set<string>();
const stats = {
  runs: 0,
  commands: 0,
  faultsInjected: 0,
  /** Outbox writes that failed before they took effect: the retried step must record the event. */
  outboxWritesFailed: 0,
  answered2xx: 0,
  answered4xx: 0,
  answered5xx: 0,
  servicing503: 0,
  retried: 0,
  withFallback: 0,
  byModel: {} as Record<string, number>,
};

beforeAll(async () => {
  logs.spyOnConsole();
}, 60_000);
afterAll(async () => {
  jest.restoreAllMocks();
  console.log(`invariant properties: ${JSON.stringify(stats)}`);
});

// ---------- commands ----------

type Channel = 'FABRIKAM' | 'CONTOSO';
type Command =
  | { kind: 'signUp'; channel: Channel; retryOf: number | null; name: number }
  | { kind: 'edit'; target: number; first?: boolean; last?: boolean; phone?: boolean; withKey: boolean }
  | { kind: 'address'; target: number; withKey: boolean }
  | { kind: 'invalid'; target: number; variant: number }
  | { kind: 'redeliver'; target: number; op: number }
  | { kind: 'sync'; how: 'run' | 'upload-twice' | 'batch-twice'; concurrent: boolean }
  | { kind: 'fault'; target: 'cosmos' | 'queue'; n: number; fault: FaultKind }
  | { kind: 'crash'; fault: FaultKind }
  /** The next write of a webhook event fails (it is a few calls into a sync step, where `fault` seldom reaches). */
  | { kind: 'outboxFault'; fault: FaultKind }
  | { kind: 'servicing'; on: boolean };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('signUp' as const),
      channel: fc.constantFrom<Channel>('FABRIKAM', 'CONTOSO'),
      retryOf: fc.option(fc.nat(20), { freq: 3 }),
      name: fc.nat(7),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      target: fc.nat(20),
      first: fc.boolean(),
      last: fc.boolean(),
      phone: fc.boolean(),
      withKey: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('address' as const), target: fc.nat(20), withKey: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalid' as const), target: fc.nat(20), variant: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('redeliver' as const), target: fc.nat(20), op: fc.nat(5) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('sync' as const),
      how: fc.constantFrom('run' as const, 'upload-twice' as const, 'batch-twice' as const),
      concurrent: fc.boolean(),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      target: fc.constantFrom('cosmos' as const, 'queue' as const),
      n: fc.integer({ min: 1, max: 4 }),
      fault: fc.constantFrom(...FAULT_KINDS),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), fault: fc.constantFrom<FaultKind>('unavailable', 'succeeded-but-failed') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('outboxFault' as const), fault: fc.constantFrom(...FAULT_KINDS) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('servicing' as const), on: fc.boolean() }) },
);

// Names with accents and scripts, so the log scan also looks for non-ASCII personal data.
const STEMS = ['Ada', 'Zoë', 'Bjørn', 'Søren', 'Łucja', 'Mădălina', 'Jürgen', 'Ngozi'];

// ---------- model ----------

interface Expected {
  channel: Channel;
  customerId: string;
  body: Record<string, unknown>;
  /** The sign-up's values. */
  base: Record<string, string>;
  /** Accepted edits with their place in the order of requests. */
  edits: { seq: number; changes: Record<string, string> }[];
  /** Cities of accepted addresses: how many times each must be in HQ (min, max). */
  addresses: Map<string, { min: number; max: number }>;
}

/** The values after every accepted edit, in the order HQ must apply them. */
function fieldsOf(customer: Expected): Record<string, string> {
  const edits = [...customer.edits].sort((a, b) => a.seq - b.seq);
  return Object.assign({}, customer.base, ...edits.map((e) => e.changes));
}

interface Pending {
  describe: string;
  retry: () => Promise<Answer>;
  onSuccess: (seq: number) => void;
  seq: number;
  /** For a request with an Idempotency-Key: did its first attempt take effect after all? */
  tookEffect?: () => Promise<boolean>;
}

class Model {
  readonly customers: Expected[] = [];
  readonly uncertain: Pending[] = [];
  private unique = 0;
  private seq = 0;

  constructor(
    readonly app: FaultyMemoryApp,
    /** HQ's servicing switch (`Hq__servicing`), flipped by the `servicing` command. */
    readonly hq: { servicing: boolean },
    readonly http: Storefront,
    /** EnhancedAsyncCustomerCreation is effective: an async sign-up may carry a title. */
    readonly enhanced: boolean,
    readonly token: string,
  ) {}

  private fresh(): string {
    return `${this.token}${(this.unique++).toString(36)}`;
  }

  pick(n: number): Expected | undefined {
    return this.customers.length ? this.customers[n % this.customers.length] : undefined;
  }

  async run(cmd: Command): Promise<void> {
    switch (cmd.kind) {
      case 'signUp': {
        const earlier = cmd.retryOf !== null ? this.pick(cmd.retryOf) : undefined;
        const customer = earlier ?? this.newCustomer(cmd.channel, cmd.name);
        return this.request(
          `sign-up ${customer.customerId}`,
          () => this.http.signUp(customer.channel, customer.body),
          () => {},
        );
      }
      case 'edit': {
        const customer = this.pick(cmd.target);
        if (!customer) return;
        const changes: Record<string, string> = {};
        const id = this.fresh();
        if (cmd.first || (!cmd.last && !cmd.phone)) changes.firstName = `${STEMS[id.length % STEMS.length]}${id}`;
        if (cmd.last) changes.lastName = `Lastname${id}`;
        if (cmd.phone) changes.phone = `+1 425 555 ${String(this.unique).padStart(4, '0')}${this.token.slice(0, 3).replace(/\D/g, '7')}`;
        for (const value of Object.values(changes)) personalData.add(value);
        const key = cmd.withKey ? `edit-${id}` : undefined;
        return this.request(
          `edit ${customer.customerId} ${JSON.stringify(changes)}${key ? ` key ${key}` : ''}`,
          () => this.http.edit(customer.channel, customer.customerId, changes, key),
          (seq) => customer.edits.push({ seq, changes }),
          key ? this.accepted(customer, key) : undefined,
        );
      }
      case 'address': {
        const customer = this.pick(cmd.target);
        if (!customer) return;
        const city = `City${this.fresh()}`;
        const key = cmd.withKey ? `address-${city}` : undefined;
        const body = { street: `${this.unique} Main St`, city, countryRegionId: 'USA' };
        let attempts = 0;
        return this.request(
          `address ${customer.customerId} ${city}${key ? ` key ${key}` : ''}`,
          () => {
            attempts++;
            return this.http.addAddress(customer.channel, customer.customerId, body, key);
          },
          () => {
            // A retried POST without an Idempotency-Key is a new request: if the first attempt
            // took effect before its 5xx, the address is there twice. With a key, exactly once.
            customer.addresses.set(city, { min: 1, max: key ? 1 : attempts });
          },
          key ? this.accepted(customer, key) : undefined,
        );
      }
      case 'invalid':
        return this.invalid(cmd.target, cmd.variant);
      case 'redeliver': {
        const customer = this.pick(cmd.target);
        const found = customer && (await this.app.services.channel.read(customer.customerId).catch(() => undefined));
        if (!found) return;
        const records = Object.values(found.doc.operations);
        const record = records[cmd.op % records.length];
        const op: AsyncOperation = {
          operationId: record.operationId,
          customerId: found.doc.id,
          channelId: found.doc.channelId,
          custAccountAsync: found.doc.custAccountAsync,
          customerAccount: found.doc.accountNumber,
          entity: record.entity,
          operation: record.operation,
          replicationCounter: record.replicationCounter,
          payload: record.payload,
          createdAt: record.createdAt,
          email: found.doc.email,
        };
        // A duplicate delivery that itself fails is simply no duplicate.
        await this.app.services.queue.send(op).catch(() => undefined);
        return;
      }
      case 'sync':
        return this.sync(cmd.how, cmd.concurrent);
      case 'fault':
        this.app.plan.failCall(cmd.target, cmd.n, cmd.fault);
        return;
      case 'crash':
        this.app.plan.crashBetweenWrites(cmd.fault);
        return;
      case 'outboxFault':
        this.app.plan.failCallTo('cosmos', /^webhookOutbox\.add$/, cmd.fault);
        return;
      case 'servicing':
        this.hq.servicing = cmd.on;
        return;
    }
  }

  private newCustomer(channel: Channel, name: number): Expected {
    const id = this.fresh();
    const body = {
      externalIdentity: { provider: 'b2c', id: `user-${id}` },
      firstName: `${STEMS[name]}${id}`,
      lastName: `Family${id}`,
      email: `person.${id}@example.com`,
      phone: `+31 20 ${String(this.customers.length).padStart(3, '0')} ${id.replace(/\D/g, '').padEnd(4, '9').slice(0, 4)}`,
    };
    for (const value of [body.firstName, body.lastName, body.email, body.phone]) personalData.add(value);
    const customer: Expected = {
      channel,
      customerId: customerIdFor(channel, body.externalIdentity),
      body,
      base: { firstName: body.firstName, lastName: body.lastName, phone: body.phone },
      edits: [],
      addresses: new Map(),
    };
    this.customers.push(customer);
    return customer;
  }

  /**
   * Whether the channel holds the operation of the request with this key: then that request was
   * accepted at its first attempt, and its retry only confirms it (it keeps its place in the order).
   */
  private accepted(customer: Expected, key: string): () => Promise<boolean> {
    return async () => {
      const found = await this.app.services.channel.read(customer.customerId);
      return !!found?.doc.operations[operationIdFor(customer.customerId, key)];
    };
  }

  /** One request: 2xx updates the model, 4xx must leave no trace, 5xx is retried after the faults. */
  private async request(describe: string, send: () => Promise<Answer>, onSuccess: (seq: number) => void, tookEffect?: () => Promise<boolean>): Promise<void> {
    const before = this.app.plan.injected.length;
    const seq = this.seq++;
    const answer = await send();
    if (answer.status < 300) {
      stats.answered2xx++;
      onSuccess(seq);
    } else if (answer.status < 500) {
      stats.answered4xx++;
      // The only 4xx a valid request may get: an edit in real time of a customer HQ does not have
      // yet (409), or of a customer whose sign-up failed (404).
      expect([404, 409]).toContain(answer.status);
      expect(answer.contentType).toBe('application/problem+json');
    } else {
      stats.answered5xx++;
      // Only an injected fault may cause a 5xx, or HQ in servicing a 503 (a real-time call).
      const servicing = answer.status === 503 && this.hq.servicing;
      if (servicing) stats.servicing503++;
      if (this.app.plan.injected.length === before && !servicing)
        throw new Error(`${describe} answered ${answer.status} without an injected fault: ${JSON.stringify(answer.body)}`);
      this.uncertain.push({ describe, retry: send, onSuccess, seq, tookEffect: tookEffect || undefined });
    }
  }

  /** Requests the storefront must refuse with 4xx and no trace at all. */
  private async invalid(target: number, variant: number): Promise<void> {
    const customer = this.pick(target);
    const customerId = customer?.customerId ?? '00000000-0000-4000-8000-000000000000';
    const channel = customer?.channel ?? 'FABRIKAM';
    // With EnhancedAsyncCustomerCreation on, a title is allowed: that sign-up is not a rejection.
    if (variant % 6 === 5 && this.enhanced) return;
    const before = await this.app.footprint();
    const injected = this.app.plan.injected.length;
    const email = `leak.${this.fresh()}@example.com`;
    personalData.add(email);
    const requests: (() => Promise<Answer>)[] = [
      () =>
        this.http.signUp(channel, {
          externalIdentity: { provider: 'b2c', id: this.fresh() },
          firstName: 'A',
          lastName: 'B',
          email,
          accountNumber: 'C000000001',
        }),
      () => this.http.signUp('NOSUCHCHANNEL', { externalIdentity: { provider: 'b2c', id: this.fresh() }, firstName: 'A', lastName: 'B', email }),
      () => this.http.edit(channel, customerId, { firstName: '' }),
      () => this.http.edit(channel, '11111111-1111-4111-8111-111111111111', { firstName: 'Nobody' }),
      () => this.http.addAddress(channel, customerId, { street: 'x', city: 'y', countryRegionId: 'usa' }),
      () => this.http.signUp('FABRIKAM', { externalIdentity: { provider: 'b2c', id: this.fresh() }, firstName: 'A', lastName: 'B', email, title: 'Dr.' }),
    ];
    const answer = await requests[variant % requests.length]();
    if (this.app.plan.injected.length > injected) return; // a read failed first: a 5xx is allowed
    stats.answered4xx++;
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.contentType).toBe('application/problem+json');
    expect(await this.app.footprint()).toEqual(before);
  }

  private async sync(how: 'run' | 'upload-twice' | 'batch-twice', concurrent: boolean): Promise<void> {
    const { services } = this.app;
    const mode = concurrent ? 'concurrent' : 'sequential';
    // A fault makes an activity throw; the orchestration retries it, which is what the next sync does here.
    if (how === 'run') await syncRun(services).catch(() => undefined);
    // The same upload activity twice: streaming (it synchronizes what it stages), as the orchestration runs it.
    if (how === 'upload-twice')
      await twice(() => services.uploader.upload({ maxMessages: 1000, visibilityTimeoutSeconds: 1, runId: `twice-${this.fresh()}` }), mode);
    if (how === 'batch-twice') {
      const runId = `twice-${this.fresh()}`;
      await twice(() => services.synchronizer.synchronizeBatch({ runId, group: 0, groups: 1, batchSize: 50 }), mode);
    }
  }

  /** Faults off, HQ back from servicing; every 5xx retried (once, or again while real-time HQ says "pending sync"). */
  async settle(): Promise<void> {
    this.app.plan.disarm();
    this.hq.servicing = false;
    await quiesce(this.app.services, this.app.wait);
    for (const pending of this.uncertain) {
      stats.retried++;
      const original = (await pending.tookEffect?.()) ?? false;
      let answer = await pending.retry();
      for (let i = 0; i < 3 && answer.status === 409; i++) {
        await quiesce(this.app.services, this.app.wait);
        answer = await pending.retry();
      }
      if (answer.status === 404 && pending.describe.startsWith('edit')) continue; // its customer never came to be
      if (answer.status === 404 && pending.describe.startsWith('address')) continue;
      if (answer.status >= 300) throw new Error(`retry of ${pending.describe} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      pending.onSuccess(original ? pending.seq : this.seq++);
    }
    await quiesce(this.app.services, this.app.wait);
  }

  async check(): Promise<void> {
    const { services } = this.app;
    const hqAll = this.app.hqCustomers();
    // One HQ customer per identity; every identity the storefront was asked about is there.
    const ids = new Set(this.customers.map((c) => c.customerId));
    expect(hqAll.map((c) => c.id).sort()).toEqual([...ids].sort());
    // No account number twice, no custAccountAsync with two account numbers.
    const accounts = hqAll.map((c) => c.accountNumber);
    expect(new Set(accounts).size).toBe(accounts.length);
    const asyncAccounts = hqAll.map((c) => c.custAccountAsync).filter((a): a is string => a !== null);
    expect(new Set(asyncAccounts).size).toBe(asyncAccounts.length);

    for (const expected of this.customers) {
      const hq = hqAll.find((c) => c.id === expected.customerId)!;
      const channel = (await services.channel.read(expected.customerId))!.doc;
      expect({ id: expected.customerId, accountNumber: channel.accountNumber, custAccountAsync: channel.custAccountAsync }).toEqual({
        id: expected.customerId,
        accountNumber: hq.accountNumber,
        custAccountAsync: hq.custAccountAsync,
      });
      // In order, each exactly once: HQ applied exactly the channel's counters, and both agree.
      expect({ id: expected.customerId, hq: hq.appliedCounter, channelApplied: channel.hqAppliedCounter }).toEqual({
        id: expected.customerId,
        hq: channel.replicationCounter,
        channelApplied: channel.replicationCounter,
      });
      const fields = fieldsOf(expected);
      const pick = (c: Record<string, unknown>) => Object.fromEntries(Object.keys(fields).map((k) => [k, c[k]]));
      expect({ id: expected.customerId, hq: pick(hq as never) }).toEqual({ id: expected.customerId, hq: fields });
      expect(pick(channel as never)).toEqual(fields);
      // Same addresses on both sides, each accepted one there the expected number of times.
      expect(hq.addresses.map((a) => a.addressId).sort()).toEqual(channel.addresses.map((a) => a.addressId).sort());
      for (const [city, { min, max }] of expected.addresses) {
        const count = hq.addresses.filter((a) => a.city === city).length;
        expect({ id: expected.customerId, city, ok: count >= min && count <= max, count }).toMatchObject({ ok: true });
      }
      expect(Object.values(channel.operations).every((op) => op.status === 'Completed')).toBe(true);
    }

    // The webhook outbox: one customer.synced per FABRIKAM customer, recorded whatever failed, and nothing else.
    const expectedEvents = hqAll
      .filter((c) => c.channelId === 'FABRIKAM')
      .map((c) => ({ customerId: c.id, accountNumber: c.accountNumber, custAccountAsync: c.custAccountAsync }))
      .sort((a, b) => a.customerId.localeCompare(b.customerId));
    const recorded = this.app
      .webhookDeliveries()
      .map((d) => ({ id: d.id, type: d.event.type, channelId: d.channelId, data: d.event.data }))
      .sort((a, b) => ('customerId' in a.data ? String(a.data.customerId) : '').localeCompare('customerId' in b.data ? String(b.data.customerId) : ''));
    expect(recorded).toEqual(
      await Promise.all(
        expectedEvents.map(async ({ customerId, accountNumber, custAccountAsync }) => {
          const channel = (await services.channel.read(customerId))!.doc;
          const create = Object.values(channel.operations).find((op) => op.entity === 'Customer' && op.operation === 'Create')!;
          return {
            id: `customer.synced:${create.operationId}`,
            type: 'customer.synced',
            channelId: 'FABRIKAM',
            data: { channelId: 'FABRIKAM', customerId, custAccountAsync, accountNumber },
          };
        }),
      ),
    );
  }
}

const FEATURES = (on: boolean) => ({
  Features__PerformanceImprovementsForCustomerOrders: String(on),
  Features__EnhancedAsyncCustomerCreation: String(on),
  Features__AsyncCustomerAddressCreation: String(on),
  Features__AsyncCustomerEditing: String(on),
});
/**
 * Addresses queued, edits in real time: AsyncCustomerAddressCreation has no prerequisites, while
 * AsyncCustomerEditing is enabled but not effective (PerformanceImprovementsForCustomerOrders and
 * EnhancedAsyncCustomerCreation are off). One customer then gets counters from both paths: a
 * real-time edit goes to HQ at once, an address waits in the queue with the next counter.
 */
const MIXED = {
  Features__PerformanceImprovementsForCustomerOrders: 'false',
  Features__EnhancedAsyncCustomerCreation: 'false',
  Features__AsyncCustomerAddressCreation: 'true',
  Features__AsyncCustomerEditing: 'true',
};

/** FABRIKAM's completion webhooks go to a receiver nobody runs: the model looks at the outbox, not at deliveries. */
const WEBHOOK = {
  Channels__FABRIKAM__webhookUrl: 'http://127.0.0.1:9/webhooks',
  Channels__FABRIKAM__webhookSecret: `whsec_${Buffer.alloc(32, 7).toString('base64')}`,
};

async function property(name: string, env: Record<string, string>, enhanced: boolean): Promise<void> {
  let run = 0;
  await fc.assert(
    // Per run: does the real-time profile fall back to async while HQ is in servicing?
    fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 12 }), fc.boolean(), async (commands, fallback) => {
      const hq = { servicing: false };
      const profile = { FunctionalityProfiles__REALTIME__fallbackToAsyncWhenHqUnavailable: String(fallback) };
      const app = createFaultyMemoryApp({ ...env, ...profile, ...WEBHOOK }, logs, { hq: { servicing: () => hq.servicing } });
      if (fallback) stats.withFallback++;
      const model = new Model(app, hq, new Storefront(() => app.services, logs), enhanced, `r${(run++).toString(36)}x`);
      try {
        for (const cmd of commands) await model.run(cmd);
        await model.settle();
        await model.check();
      } catch (error) {
        (error as Error).message += `\n  injected faults: ${app.plan.describe()}`;
        throw error;
      } finally {
        stats.runs++;
        stats.commands += commands.length;
        stats.faultsInjected += app.plan.injected.length;
        stats.outboxWritesFailed += app.plan.injected.filter((f) => f.operation === 'webhookOutbox.add' && f.kind !== 'succeeded-but-failed').length;
        stats.byModel[name] = (stats.byModel[name] ?? 0) + 1;
        app.services.dispose();
      }
    }),
    { numRuns: RUNS, path: process.env.FAST_CHECK_PATH, verbose: true },
  );
}

describe('invariants under faults, duplicates and re-runs', () => {
  test('async features on: edits and addresses queued', () => property('features-on', FEATURES(true), true), 600_000);
  test('async features off: edits and addresses in real time', () => property('features-off', FEATURES(false), false), 600_000);
  test('mixed: addresses queued, edits in real time (AsyncCustomerEditing missing its prerequisites)', () => property('mixed', MIXED, false), 600_000);
  test('nothing personal in any log line', () => {
    // Filled by both properties: service logs, console and every InvocationContext.
    expect(personalData.size).toBeGreaterThan(0);
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(logs.leaks(personalData)).toEqual([]);
  });
});
