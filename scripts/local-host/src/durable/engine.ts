/**
 * Runs durable orchestrations the way the Durable Task extension does for out-of-process
 * workers: keep each instance's history, invoke the registered orchestrator (durable-functions'
 * own replay code) with it, turn the actions it returns into TaskScheduled/TimerCreated events and
 * work, append the outcomes and invoke it again ("episodes") until it is done.
 *
 * Sequence numbers must match the ones durable-functions assigns while replaying: each yielded
 * activity/timer leaf takes the next number in yield order (external events take none), and every
 * failed attempt of a retried activity takes one for its retry timer, and every retry timer that
 * fires with attempts left takes one for the next attempt. Those retry steps never resume the
 * orchestrator, so within an episode they are placed after the other new events; the new leaves
 * then come first and the retry steps follow in event order.
 */
import { randomUUID } from 'node:crypto';
import type { Registration, Registry } from '../registry';
import { errorMessage, fromTypedData, InvocationError, type Invoker, type LogSink } from '../invoker';
import type { RpcParameterBinding } from '../types';
import { EventType, events, retryDelayMs, type HistoryEvent, type RetryInfo, type RetryPolicy } from './history';
import type { HistoryStore, InstanceFilter, InstanceRecord, RuntimeStatus } from './store';

/** durable-functions ActionType values (lib/src/actions/ActionType.js). */
enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  WhenAny = 11,
  WhenAll = 12,
}

interface Action {
  actionType: ActionType;
  functionName?: string;
  input?: unknown;
  retryOptions?: RetryPolicy;
  fireAt?: string;
  isCanceled?: boolean;
  compoundActions?: Action[];
}

interface OrchestratorState {
  isDone: boolean;
  actions: Action[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

/** ReplaySchema.V4, the newest durable-functions 3.x knows: actions come as a tree. */
const UPPER_SCHEMA_VERSION = 3;
const FAILURE_DATA_LABEL = '$OutOfProcData$:';

interface PendingEvent {
  event: HistoryEvent;
  /** A retry step: takes a sequence number for the retry timer or the next attempt. */
  retryStep?: RetryInfo & { kind: 'timer' | 'attempt' };
}

interface Instance {
  record: InstanceRecord;
  history: HistoryEvent[];
  persisted: number;
  inbox: PendingEvent[];
  nextSeq: number;
  /** Sequence number of each id-taking action leaf, in the order the orchestrator yielded them. */
  leafIds: number[];
  timers: Map<number, NodeJS.Timeout>;
  episode?: Promise<void>;
  again: boolean;
}

export interface DurableEngineOptions {
  registry: Registry;
  invoker: Invoker;
  store: HistoryStore;
  log: LogSink;
  maxConcurrentActivities?: number;
  /** host.json overridableExistingInstanceStates; default NonRunningStates (a start of an active id fails). */
  overridableExistingInstanceStates?: 'AnyState' | 'NonRunningStates';
}

export class ConflictError extends Error {}
export class NotFoundError extends Error {}

export class DurableEngine {
  private readonly instances = new Map<string, Instance>();
  private readonly activityQueue: (() => Promise<void>)[] = [];
  private activeActivities = 0;
  private readonly maxConcurrent: number;
  private stopped = false;
  private readonly idleWaiters = new Set<() => void>();

  constructor(private readonly options: DurableEngineOptions) {
    this.maxConcurrent = options.maxConcurrentActivities ?? 16;
  }

  /** Picks up instances left Pending or Running by an earlier host (at-least-once for activities). */
  async start(): Promise<void> {
    await this.options.store.init();
    const unfinished = await this.options.store.listInstances({ runtimeStatus: ['Pending', 'Running', 'ContinuedAsNew'] });
    for (const record of unfinished) {
      const history = await this.options.store.loadHistory(record.instanceId, record.executionId);
      const end = history.find((e) => e.EventType === EventType.ExecutionCompleted || e.EventType === EventType.ExecutionTerminated);
      if (end) {
        // The host died between writing the end of the history and the record: finish the record.
        const terminated = end.EventType === EventType.ExecutionTerminated;
        const runtimeStatus: RuntimeStatus = terminated ? 'Terminated' : end.OrchestrationStatus === 'Failed' ? 'Failed' : 'Completed';
        const output = terminated ? JSON.stringify(end.Input ?? '') : (end.Result ?? null);
        await this.options.store.saveInstance({ ...record, runtimeStatus, output, lastUpdatedTime: new Date().toISOString() });
        this.options.log(`Durable: ${record.name} instance '${record.instanceId}' had ended (${runtimeStatus}); its record now says so`);
        continue;
      }
      const instance = this.resume(record, history);
      this.options.log(`Durable: resuming ${record.name} instance '${record.instanceId}' (${record.runtimeStatus}, ${history.length} events)`);
      this.kick(instance);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const instance of this.instances.values()) for (const handle of instance.timers.values()) clearTimeout(handle);
    this.activityQueue.length = 0;
    await Promise.allSettled([...this.instances.values()].map((i) => i.episode).filter((episode) => episode !== undefined));
  }

  async startNew(name: string, instanceId: string | undefined, input: string | null): Promise<InstanceRecord> {
    if (!this.orchestrator(name)) throw new NotFoundError(`The function '${name}' doesn't exist or is not an orchestrator function`);
    const id = instanceId ?? randomUUID().replace(/-/g, '');
    const existing = this.instances.get(id)?.record ?? (await this.options.store.getInstance(id));
    if (existing && isActive(existing.runtimeStatus)) {
      if (this.options.overridableExistingInstanceStates !== 'AnyState') {
        throw new ConflictError(`An instance with ID '${id}' already exists and is ${existing.runtimeStatus}.`);
      }
      // AnyState: the new instance replaces the active one, which stops here.
      await this.terminate(id, 'Replaced by a new instance with the same ID (overridableExistingInstanceStates: AnyState)');
    }
    if (existing) await this.options.store.deleteHistory(id);
    for (const handle of this.instances.get(id)?.timers.values() ?? []) clearTimeout(handle);
    const now = new Date().toISOString();
    const record: InstanceRecord = {
      instanceId: id,
      name,
      executionId: randomUUID(),
      runtimeStatus: 'Pending',
      input,
      output: null,
      customStatus: null,
      createdTime: now,
      lastUpdatedTime: now,
    };
    await this.options.store.saveInstance(record);
    const instance = this.fresh(record);
    instance.inbox.push({ event: events.executionStarted(name, input) });
    this.kick(instance);
    return { ...record };
  }

  async getStatus(instanceId: string): Promise<{ record: InstanceRecord; history: HistoryEvent[] } | undefined> {
    const live = this.instances.get(instanceId);
    if (live) return { record: { ...live.record }, history: live.history.slice() };
    const record = await this.options.store.getInstance(instanceId);
    if (!record) return undefined;
    return { record, history: await this.options.store.loadHistory(instanceId, record.executionId) };
  }

  async list(filter?: InstanceFilter): Promise<InstanceRecord[]> {
    const stored = new Map((await this.options.store.listInstances(filter)).map((r) => [r.instanceId, r]));
    // Live state is newer than what was last written.
    for (const instance of this.instances.values()) {
      stored.delete(instance.record.instanceId);
      const r = instance.record;
      const matches = !filter?.runtimeStatus?.length || filter.runtimeStatus.includes(r.runtimeStatus);
      if (matches) stored.set(r.instanceId, { ...r });
    }
    return [...stored.values()];
  }

  async raiseEvent(instanceId: string, eventName: string, input: string | null): Promise<'accepted' | 'gone'> {
    const instance = await this.load(instanceId);
    if (!instance) throw new NotFoundError(`No instance with ID '${instanceId}' found.`);
    if (!isActive(instance.record.runtimeStatus)) return 'gone';
    instance.inbox.push({ event: events.eventRaised(eventName, input) });
    this.kick(instance);
    return 'accepted';
  }

  async terminate(instanceId: string, reason: string): Promise<'accepted' | 'gone'> {
    const instance = await this.load(instanceId);
    if (!instance) throw new NotFoundError(`No instance with ID '${instanceId}' found.`);
    if (!isActive(instance.record.runtimeStatus)) return 'gone';
    await instance.episode;
    instance.inbox.length = 0;
    for (const handle of instance.timers.values()) clearTimeout(handle);
    instance.timers.clear();
    instance.history.push(events.executionTerminated(reason));
    this.setStatus(instance, 'Terminated');
    instance.record.output = JSON.stringify(reason);
    await this.persist(instance);
    return 'accepted';
  }

  async purge(instanceId: string): Promise<number> {
    const record = this.instances.get(instanceId)?.record ?? (await this.options.store.getInstance(instanceId));
    if (!record) return 0;
    const instance = this.instances.get(instanceId);
    if (instance) for (const handle of instance.timers.values()) clearTimeout(handle);
    this.instances.delete(instanceId);
    await this.options.store.deleteInstance(instanceId);
    return 1;
  }

  /** Resolves when no episode, activity or queued work is left (timers may still be armed). */
  async idle(): Promise<void> {
    while (this.activeActivities > 0 || this.activityQueue.length > 0 || [...this.instances.values()].some((i) => i.episode !== undefined)) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.add(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  private orchestrator(name: string): Registration | undefined {
    const registration = this.options.registry.get(name);
    return registration?.trigger.type === 'orchestrationTrigger' ? registration : undefined;
  }

  private fresh(record: InstanceRecord): Instance {
    const instance: Instance = { record, history: [], persisted: 0, inbox: [], nextSeq: 0, leafIds: [], timers: new Map(), again: false };
    this.instances.set(record.instanceId, instance);
    return instance;
  }

  private async load(instanceId: string): Promise<Instance | undefined> {
    const live = this.instances.get(instanceId);
    if (live) return live;
    const record = await this.options.store.getInstance(instanceId);
    if (!record) return undefined;
    return this.resume(record, await this.options.store.loadHistory(instanceId, record.executionId));
  }

  /** Rebuilds an instance from its stored history and restarts its outstanding work. */
  private resume(record: InstanceRecord, history: HistoryEvent[]): Instance {
    const instance = this.fresh(record);
    instance.history = history;
    instance.persisted = history.length;
    if (history.length === 0) {
      instance.inbox.push({ event: events.executionStarted(record.name, record.input) });
      return instance;
    }
    const done = new Set<number>();
    for (const e of history) {
      if (e.EventType === EventType.TaskCompleted || e.EventType === EventType.TaskFailed) done.add(e.TaskScheduledId ?? -1);
      if (e.EventType === EventType.TimerFired) done.add(e.TimerId ?? -1);
    }
    for (const e of history) {
      if (e.EventType !== EventType.TaskScheduled && e.EventType !== EventType.TimerCreated) continue;
      instance.nextSeq = Math.max(instance.nextSeq, e.EventId + 1);
      const isRetryStep = e.Retry !== undefined && (e.EventType === EventType.TimerCreated || e.Retry.attempt > 1);
      if (!isRetryStep) instance.leafIds.push(e.EventId);
      if (done.has(e.EventId)) continue;
      if (e.EventType === EventType.TaskScheduled) this.runActivity(instance, e);
      else this.armTimer(instance, e);
    }
    return instance;
  }

  /** Runs an episode soon; completions that arrive meanwhile join the same episode. */
  private kick(instance: Instance): void {
    if (this.stopped) return;
    if (instance.episode) {
      instance.again = true;
      return;
    }
    instance.episode = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.episodes(instance))
      .catch((error: unknown) => this.options.log(`Durable: episode of '${instance.record.instanceId}' failed: ${errorMessage(error)}`))
      .finally(() => {
        instance.episode = undefined;
        this.notifyIdle();
        if (instance.again) {
          instance.again = false;
          if (instance.inbox.length > 0) this.kick(instance);
        }
      });
  }

  private async episodes(instance: Instance): Promise<void> {
    while (!this.stopped && instance.inbox.length > 0 && isActive(instance.record.runtimeStatus)) {
      instance.again = false;
      await this.episode(instance);
    }
  }

  private async episode(instance: Instance): Promise<void> {
    const registration = this.orchestrator(instance.record.name);
    const pending = instance.inbox.splice(0);
    // Retry steps never resume the orchestrator; putting them last fixes their sequence numbers.
    pending.sort((a, b) => Number(a.retryStep !== undefined) - Number(b.retryStep !== undefined));
    for (const e of instance.history) e.IsPlayed = true;
    const newEvents = [events.orchestratorStarted(), ...pending.map((p) => p.event)];
    const history = [...instance.history, ...newEvents];
    instance.history = history;
    if (instance.record.runtimeStatus === 'Pending') this.setStatus(instance, 'Running');

    if (!registration) {
      this.fail(instance, `The orchestrator function '${instance.record.name}' is not registered in this app`);
      await this.persist(instance);
      return;
    }
    let state: OrchestratorState;
    try {
      state = await this.invokeOrchestrator(registration, instance, history);
    } catch (error) {
      const message = failureMessage(error);
      this.fail(instance, `Orchestrator function '${instance.record.name}' failed: ${message}`);
      await this.persist(instance);
      return;
    }
    if (state.customStatus !== undefined) instance.record.customStatus = JSON.stringify(state.customStatus);

    const leaves = flatten(state.actions);
    const unsupported = leaves.find((a) => !SUPPORTED.has(a.actionType));
    if (unsupported) {
      this.fail(instance, `Action type ${ActionType[unsupported.actionType] ?? unsupported.actionType} is not supported by the local host`);
      await this.persist(instance);
      return;
    }
    const continueAsNew = leaves.find((a) => a.actionType === ActionType.ContinueAsNew);
    const idLeaves = leaves.filter((a) => a.actionType !== ActionType.WaitForExternalEvent && a.actionType !== ActionType.ContinueAsNew);
    const work: HistoryEvent[] = [];
    if (!state.isDone) {
      for (const action of idLeaves.slice(instance.leafIds.length)) {
        const id = instance.nextSeq++;
        instance.leafIds.push(id);
        if (action.actionType === ActionType.CreateTimer) {
          work.push(events.timerCreated(id, new Date(action.fireAt ?? Date.now())));
        } else {
          const name = action.functionName ?? '';
          const input = activityInput(action.input);
          const retry =
            action.actionType === ActionType.CallActivityWithRetry && action.retryOptions
              ? { policy: action.retryOptions, name, input, attempt: 1 }
              : undefined;
          work.push(events.taskScheduled(id, name, input, retry));
        }
      }
      for (const step of pending.map((p) => p.retryStep).filter((s) => s !== undefined)) {
        const id = instance.nextSeq++;
        const { kind, ...info } = step;
        if (kind === 'timer') work.push(events.timerCreated(id, new Date(Date.now() + retryDelayMs(info.policy, info.attempt)), info));
        else work.push(events.taskScheduled(id, info.name, info.input, info));
      }
      // A timer cancelled after Task.any stays in the actions with isCanceled; stop waiting on it.
      idLeaves.forEach((action, i) => {
        const id = instance.leafIds[i];
        if (action.actionType === ActionType.CreateTimer && action.isCanceled && instance.timers.has(id)) {
          clearTimeout(instance.timers.get(id));
          instance.timers.delete(id);
        }
      });
    }
    instance.history.push(...work, events.orchestratorCompleted(instance.leafIds.length));

    if (state.isDone && continueAsNew) {
      await this.continueAsNew(instance, activityInput(continueAsNew.input) ?? null);
      return;
    }
    if (state.isDone) {
      const output = state.output === undefined ? null : JSON.stringify(state.output);
      instance.history.push(events.executionCompleted('Completed', output));
      instance.record.output = output;
      this.setStatus(instance, 'Completed');
      this.clearTimers(instance);
    }
    await this.persist(instance);
    for (const e of work) {
      if (e.EventType === EventType.TaskScheduled) this.runActivity(instance, e);
      else this.armTimer(instance, e);
    }
  }

  /**
   * The hand-over is one write, the new execution's record: a host that dies before it resumes the
   * finished execution, whose last episode was not written (its completion runs again and the
   * orchestrator continues as new again); one that dies after it starts the new execution. Writing
   * the finished execution's last events or a ContinuedAsNew record first would leave, between
   * the two writes, an instance that a new host resumes with nothing left to run.
   */
  private async continueAsNew(instance: Instance, input: string | null): Promise<void> {
    this.clearTimers(instance);
    const previous = instance.record.executionId;
    instance.record.executionId = randomUUID();
    instance.record.input = input;
    instance.history = [];
    instance.persisted = 0;
    instance.nextSeq = 0;
    instance.leafIds = [];
    // Events raised but not yet delivered carry over to the new execution, as in Durable Task.
    const carried = instance.inbox.filter((p) => p.event.EventType === EventType.EventRaised);
    instance.inbox = [{ event: events.executionStarted(instance.record.name, input) }, ...carried];
    this.setStatus(instance, 'Running');
    await this.persist(instance);
    await this.options.store.deleteHistory(instance.record.instanceId, previous);
  }

  private async invokeOrchestrator(registration: Registration, instance: Instance, history: HistoryEvent[]): Promise<OrchestratorState> {
    const trigger = {
      history,
      input: instance.record.input === null ? undefined : (JSON.parse(instance.record.input) as unknown),
      instanceId: instance.record.instanceId,
      isReplaying: history.some((e) => e.IsPlayed),
      parentInstanceId: null,
      upperSchemaVersion: UPPER_SCHEMA_VERSION,
      upperSchemaVersionNew: UPPER_SCHEMA_VERSION,
      // Timers up to ~10 years stay one timer; longer ones would be split into sub-timers whose
      // sequence numbers this host does not model.
      longRunningTimerIntervalDuration: '3.00:00:00',
      maximumShortTimerDuration: '3650.00:00:00',
      defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
    };
    const inputData: RpcParameterBinding[] = [{ name: registration.triggerName, data: { string: JSON.stringify(trigger) } }];
    const { response } = await this.options.invoker.invoke(registration, {
      inputData,
      reason: `(Durable) OrchestratorStarted, instance ${instance.record.instanceId}`,
    });
    const state = fromTypedData(response.returnValue) as OrchestratorState | undefined;
    if (!state || typeof state !== 'object' || !Array.isArray(state.actions)) throw new Error('The orchestrator returned no state');
    return state;
  }

  private runActivity(instance: Instance, scheduled: HistoryEvent): void {
    const executionId = instance.record.executionId;
    const name = scheduled.Name ?? '';
    const job = async () => {
      const registration = this.options.registry.get(name);
      let pendingEvent: PendingEvent;
      try {
        if (!registration || registration.trigger.type !== 'activityTrigger') {
          throw new Error(`The activity function '${name}' is not registered in this app`);
        }
        const data = scheduled.Input === undefined || scheduled.Input === null ? undefined : { json: scheduled.Input };
        const { response } = await this.options.invoker.invoke(registration, {
          inputData: [{ name: registration.triggerName, data }],
          reason: `(Durable) TaskScheduled, instance ${instance.record.instanceId}`,
        });
        const value = fromTypedData(response.returnValue);
        pendingEvent = { event: events.taskCompleted(scheduled.EventId, JSON.stringify(value === undefined ? null : value)) };
      } catch (error) {
        const message = error instanceof InvocationError ? error.message : errorMessage(error);
        const original = error instanceof InvocationError ? error.original : error;
        const stack = typeof original === 'object' && original !== null && 'stack' in original ? String(original.stack) : message;
        pendingEvent = { event: events.taskFailed(scheduled.EventId, `Activity function '${name}' failed: ${message}`, stack) };
        if (scheduled.Retry) pendingEvent.retryStep = { ...scheduled.Retry, kind: 'timer' };
      }
      if (this.instances.get(instance.record.instanceId) !== instance || instance.record.executionId !== executionId) return;
      if (!isActive(instance.record.runtimeStatus)) return;
      instance.inbox.push(pendingEvent);
      this.kick(instance);
    };
    this.activityQueue.push(job);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.activeActivities < this.maxConcurrent && this.activityQueue.length > 0) {
      const job = this.activityQueue.shift()!;
      this.activeActivities++;
      void job().finally(() => {
        this.activeActivities--;
        this.pump();
        this.notifyIdle();
      });
    }
  }

  private armTimer(instance: Instance, created: HistoryEvent): void {
    const fireAt = created.FireAt ?? new Date().toISOString();
    const fire = () => {
      instance.timers.delete(created.EventId);
      if (!isActive(instance.record.runtimeStatus)) return;
      const pendingEvent: PendingEvent = { event: events.timerFired(created.EventId, fireAt) };
      const retry = created.Retry;
      // After `attempt` failures the next try is attempt+1, if the policy allows it.
      if (retry && retry.attempt < retry.policy.maxNumberOfAttempts) {
        pendingEvent.retryStep = { ...retry, attempt: retry.attempt + 1, kind: 'attempt' };
      }
      instance.inbox.push(pendingEvent);
      this.kick(instance);
    };
    const schedule = () => {
      const delay = Date.parse(fireAt) - Date.now();
      const handle = delay > 2_000_000_000 ? setTimeout(schedule, 2_000_000_000) : setTimeout(fire, Math.max(0, delay));
      instance.timers.set(created.EventId, handle);
    };
    schedule();
  }

  private fail(instance: Instance, message: string): void {
    instance.history.push(events.executionCompleted('Failed', JSON.stringify(message)));
    instance.record.output = JSON.stringify(message);
    this.setStatus(instance, 'Failed');
    this.clearTimers(instance);
    this.options.log(`Durable: instance '${instance.record.instanceId}' failed: ${message}`);
  }

  private clearTimers(instance: Instance): void {
    for (const handle of instance.timers.values()) clearTimeout(handle);
    instance.timers.clear();
  }

  private setStatus(instance: Instance, status: RuntimeStatus): void {
    instance.record.runtimeStatus = status;
    instance.record.lastUpdatedTime = new Date().toISOString();
  }

  private async persist(instance: Instance): Promise<void> {
    const fresh = instance.history.slice(instance.persisted);
    if (fresh.length > 0) {
      await this.options.store.appendHistory(instance.record.instanceId, instance.record.executionId, instance.persisted, fresh);
      instance.persisted = instance.history.length;
    }
    await this.options.store.saveInstance(instance.record);
  }

  private notifyIdle(): void {
    for (const resolve of this.idleWaiters) resolve();
    this.idleWaiters.clear();
  }
}

const SUPPORTED = new Set<ActionType>([
  ActionType.CallActivity,
  ActionType.CallActivityWithRetry,
  ActionType.CreateTimer,
  ActionType.WaitForExternalEvent,
  ActionType.ContinueAsNew,
]);

function isActive(status: RuntimeStatus): boolean {
  return status === 'Running' || status === 'Pending';
}

/** Depth-first leaves of the action tree, in the order durable-functions numbers them. */
function flatten(actions: Action[][]): Action[] {
  const leaves: Action[] = [];
  const walk = (action: Action) => {
    if (action.actionType === ActionType.WhenAll || action.actionType === ActionType.WhenAny) {
      for (const child of action.compoundActions ?? []) walk(child);
    } else leaves.push(action);
  };
  for (const group of actions) for (const action of group) walk(action);
  return leaves;
}

/** durable-functions pre-serialises string inputs only (Utils.processInput); JSON text either way. */
function activityInput(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  if (typeof input === 'string') {
    try {
      JSON.parse(input);
      return input;
    } catch {
      return JSON.stringify(input);
    }
  }
  return JSON.stringify(input);
}

/** The orchestrator's own error message, without the state durable-functions appends to it. */
function failureMessage(error: unknown): string {
  const message = errorMessage(error);
  const at = message.indexOf(FAILURE_DATA_LABEL);
  if (at < 0) return message;
  try {
    const state = JSON.parse(message.slice(at + FAILURE_DATA_LABEL.length)) as OrchestratorState;
    if (state.error) return state.error;
  } catch {
    // fall through to the text before the label
  }
  return message.slice(0, at).trim();
}
