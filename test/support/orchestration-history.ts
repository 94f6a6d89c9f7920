/**
 * Builds Durable Functions history events and invokes an orchestration callback with them, the
 * way the Durable extension does on every episode. The callback is the one durable-functions
 * registered, so the library's own replay code decides what the orchestrator does next.
 */
import { InvocationContext } from '@azure/functions';

export const EventType = {
  ExecutionStarted: 0,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
} as const;

export type HistoryEvent = Record<string, unknown> & { EventType: number; EventId: number; IsPlayed: boolean; Timestamp: string };

export interface OrchestratorResult {
  isDone: boolean;
  actions: Action[][] | Action[];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
}

export interface Action {
  actionType: number;
  functionName?: string;
  input?: unknown;
  retryOptions?: { firstRetryIntervalInMilliseconds: number; maxNumberOfAttempts: number };
  compoundActions?: Action[];
  fireAt?: string;
  [key: string]: unknown;
}

/** A history builder with a clock, so timestamps advance as a real history's would. */
export class History {
  readonly events: HistoryEvent[] = [];
  private clock = Date.parse('2026-11-21T10:00:00Z');

  private event(type: number, fields: Record<string, unknown> = {}, eventId = -1): this {
    this.events.push({ EventType: type, EventId: eventId, IsPlayed: false, Timestamp: new Date(this.clock).toISOString(), ...fields });
    return this;
  }

  /** Starts an episode; earlier events are marked as played, as the extension does. */
  episode(): this {
    this.clock += 1000;
    for (const e of this.events) e.IsPlayed = true;
    return this.event(EventType.OrchestratorStarted);
  }

  started(name: string, input: unknown): this {
    return this.event(EventType.ExecutionStarted, { Name: name, Input: JSON.stringify(input) });
  }

  scheduled(eventId: number, name: string): this {
    return this.event(EventType.TaskScheduled, { Name: name }, eventId);
  }

  completed(scheduledId: number, result: unknown): this {
    return this.event(EventType.TaskCompleted, { TaskScheduledId: scheduledId, Result: JSON.stringify(result ?? null) });
  }

  failed(scheduledId: number, reason: string): this {
    return this.event(EventType.TaskFailed, { TaskScheduledId: scheduledId, Reason: reason, Details: reason });
  }

  timerCreated(eventId: number, fireAt: string): this {
    return this.event(EventType.TimerCreated, { FireAt: fireAt }, eventId);
  }

  timerFired(timerId: number, fireAt: string): this {
    return this.event(EventType.TimerFired, { TimerId: timerId, FireAt: fireAt });
  }
}

export async function replay(callback: (...args: unknown[]) => unknown, history: History, instanceId: string, input: unknown): Promise<OrchestratorResult> {
  const trigger = {
    history: history.events,
    input,
    instanceId,
    isReplaying: history.events.some((e) => e.IsPlayed),
    parentInstanceId: undefined,
    upperSchemaVersion: 2,
    longRunningTimerIntervalDuration: '3.00:00:00',
    maximumShortTimerDuration: '6.00:00:00',
    defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
  };
  const context = new InvocationContext({ functionName: 'customerSync', invocationId: `replay-${history.events.length}` });
  try {
    return (await callback(trigger, context)) as OrchestratorResult;
  } catch (error) {
    // A failed orchestration reaches the host as an error carrying the final state.
    const message = String((error as Error)?.message ?? error);
    const marker = '$OutOfProcData$:';
    const at = message.indexOf(marker);
    if (at < 0) throw error;
    return JSON.parse(message.slice(at + marker.length)) as OrchestratorResult;
  }
}

/** The flat list of leaf actions in the order the orchestrator scheduled them. */
export function leafActions(result: OrchestratorResult): Action[] {
  const flat: Action[] = [];
  const walk = (a: Action) => (a.compoundActions ? a.compoundActions.forEach(walk) : flat.push(a));
  for (const group of result.actions as unknown[]) (Array.isArray(group) ? group : [group]).forEach((a) => walk(a as Action));
  return flat;
}
