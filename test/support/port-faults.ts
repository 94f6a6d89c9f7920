/**
 * Fault injection through the ports (test-only): every port of a memory app wrapped so that a
 * `FaultPlan` decides, call by call, whether the call fails before it reaches the store (throttled,
 * unavailable, timeout) or after it took effect (succeeded-but-failed: a lost answer, or a crash
 * right after the write). The model tests run on these; the emulator-backed fault tests inject the
 * same plan in the SDKs' pipelines (faults.ts).
 */
import type { Env } from './environment';
import { FaultPlan, InjectedFaultError, Target } from './faults';
import { LogCapture } from './harness';
import { createMemoryApp, MemoryTestApp } from './memory-app';
import { ManualClock, MemoryPorts } from '../../shared/adapters/memory';
import type { HqCustomer } from '../../shared/core/domain/hq-customer';
import type { WebhookDelivery } from '../../shared/core/domain/webhook';
import type { ServiceOverrides } from '../../functions/composition-root';

/** The calls that write, for "crash between two writes". */
const WRITES = new Set(['create', 'replace', 'recordDistribution', 'markReconciled', 'stage', 'update', 'send', 'delete', 'setAside', 'save']);
/** Not a promise: an async generator of pages (the operators' list), left as it is. */
const PASS_THROUGH = new Set(['outstandingCustomers', 'constructor']);

function faulty<T extends object>(port: T, target: Target, name: string, plan: FaultPlan): T {
  return new Proxy(port, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || PASS_THROUGH.has(prop)) return value;
      return async (...args: unknown[]) => {
        const fault = plan.decide(target, WRITES.has(prop), `${name}.${prop}`);
        if (!fault) return (value as (...a: unknown[]) => unknown).apply(obj, args);
        if (fault.kind === 'succeeded-but-failed') await (value as (...a: unknown[]) => unknown).apply(obj, args);
        throw new InjectedFaultError(fault);
      };
    },
  });
}

/** A clock that moves a millisecond on every read (so timestamps order), and as far as a test says. */
export class SteppingClock extends ManualClock {
  override now(): Date {
    const now = super.now();
    this.advance(1);
    return now;
  }
}

export interface FaultyMemoryApp extends MemoryTestApp {
  plan: FaultPlan;
  clock: SteppingClock;
  /** Lets time pass (a visibility timeout running out) without waiting for it. */
  wait(ms: number): Promise<void>;
  /** Documents in every store and messages in both queues: "nothing written" means these do not change. */
  footprint(): Promise<Record<string, number>>;
  hqCustomers(): HqCustomer[];
  /** The webhook outbox as stored. */
  webhookDeliveries(): WebhookDelivery[];
}

export function createFaultyMemoryApp(env: Env, logs: LogCapture, { hq }: Pick<ServiceOverrides, 'hq'> = {}): FaultyMemoryApp {
  const plan = new FaultPlan();
  const clock = new SteppingClock();
  // The real ports, to count what they hold; the services get them wrapped.
  let real: MemoryPorts | undefined;
  const app = createMemoryApp(env, { log: logs.serviceLog, reconcileGraceMs: 0, hq }, { clock }, (ports) => {
    real = ports;
    const cosmos = (port: object, name: string) => faulty(port, 'cosmos', name, plan);
    return {
      ...ports,
      channel: cosmos(ports.channel, 'channel'),
      customerSearch: cosmos(ports.customerSearch, 'customerSearch'),
      hqCustomers: cosmos(ports.hqCustomers, 'hqCustomers'),
      numberSequences: cosmos(ports.numberSequences, 'numberSequences'),
      staging: cosmos(ports.staging, 'staging'),
      runs: cosmos(ports.runs, 'runs'),
      syncStatusReadModel: cosmos(ports.syncStatusReadModel, 'syncStatusReadModel'),
      webhookOutbox: cosmos(ports.webhookOutbox, 'webhookOutbox'),
      queue: faulty(ports.queue, 'queue', 'queue', plan),
    } as MemoryPorts;
  });
  const ports = real!;
  return {
    ...app,
    plan,
    clock,
    wait: async (ms) => clock.advance(ms),
    footprint: async () => {
      const depth = await ports.queue.approximateDepth();
      return {
        channelCustomers: ports.channel.container.where().length,
        hqCustomers: ports.hqCustomers.container.where().length,
        hqOperations: ports.staging.container.where().length,
        hqNumberSequences: ports.numberSequences.container.where().length,
        hqWebhookOutbox: ports.webhookOutbox.container.where().length,
        queued: depth.queued,
        poisoned: depth.poisoned,
      };
    },
    hqCustomers: () => ports.hqCustomers.container.where(),
    webhookDeliveries: () => ports.webhookOutbox.container.where(),
  };
}
