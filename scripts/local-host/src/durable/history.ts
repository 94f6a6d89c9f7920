/**
 * Durable Task history events in the shape durable-functions' replay code reads
 * (node_modules/durable-functions/lib/src/history): numeric `EventType`, `EventId`, `Timestamp`,
 * `IsPlayed` and the per-type fields. A few extra fields (`Retry`, `ActionCount`) carry what this
 * host needs to resume after a restart; the library ignores unknown fields.
 */

export enum EventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventRaised = 15,
  ContinueAsNew = 16,
}

/** The `retryOptions` of a CallActivityWithRetry action (durable-functions RetryOptions). */
export interface RetryPolicy {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** Which retry chain a scheduled attempt or retry timer belongs to. */
export interface RetryInfo {
  policy: RetryPolicy;
  name: string;
  input?: string;
  /** Attempt number of a TaskScheduled; failures so far for a retry TimerCreated. */
  attempt: number;
}

export interface HistoryEvent {
  EventType: EventType;
  EventId: number;
  Timestamp: string;
  IsPlayed: boolean;
  Name?: string;
  /** JSON text of the input (ExecutionStarted, TaskScheduled, EventRaised) or termination reason. */
  Input?: string | null;
  TaskScheduledId?: number;
  /** JSON text of an activity result or an orchestration output. */
  Result?: string | null;
  Reason?: string;
  Details?: string;
  FireAt?: string;
  TimerId?: number;
  OrchestrationStatus?: string;
  Retry?: RetryInfo;
  ActionCount?: number;
}

function base(type: EventType, eventId = -1, at = new Date()): HistoryEvent {
  return { EventType: type, EventId: eventId, Timestamp: at.toISOString(), IsPlayed: false };
}

export const events = {
  orchestratorStarted: (at?: Date) => base(EventType.OrchestratorStarted, -1, at),
  orchestratorCompleted: (actionCount: number) => ({ ...base(EventType.OrchestratorCompleted), ActionCount: actionCount }),
  executionStarted: (name: string, input: string | null) => ({ ...base(EventType.ExecutionStarted), Name: name, Input: input }),
  executionCompleted: (status: 'Completed' | 'Failed', result: string | null) => ({
    ...base(EventType.ExecutionCompleted),
    OrchestrationStatus: status,
    Result: result,
  }),
  executionTerminated: (reason: string) => ({ ...base(EventType.ExecutionTerminated), Input: reason }),
  taskScheduled: (id: number, name: string, input: string | undefined, retry?: RetryInfo) => ({
    ...base(EventType.TaskScheduled, id),
    Name: name,
    Input: input,
    ...(retry ? { Retry: retry } : {}),
  }),
  taskCompleted: (scheduledId: number, result: string) => ({ ...base(EventType.TaskCompleted), TaskScheduledId: scheduledId, Result: result }),
  taskFailed: (scheduledId: number, reason: string, details: string) => ({
    ...base(EventType.TaskFailed),
    TaskScheduledId: scheduledId,
    Reason: reason,
    Details: details,
  }),
  timerCreated: (id: number, fireAt: Date, retry?: RetryInfo) => ({
    ...base(EventType.TimerCreated, id),
    FireAt: fireAt.toISOString(),
    ...(retry ? { Retry: retry } : {}),
  }),
  timerFired: (timerId: number, fireAt: string) => ({ ...base(EventType.TimerFired), TimerId: timerId, FireAt: fireAt }),
  eventRaised: (name: string, input: string | null) => ({ ...base(EventType.EventRaised), Name: name, Input: input }),
};

/** Delay before retry number `failures` (1-based), as Durable Task's RetryOptions computes it. */
export function retryDelayMs(policy: RetryPolicy, failures: number): number {
  const coefficient = policy.backoffCoefficient && policy.backoffCoefficient > 0 ? policy.backoffCoefficient : 1;
  let delay = policy.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failures - 1);
  if (policy.maxRetryIntervalInMilliseconds && policy.maxRetryIntervalInMilliseconds > 0) {
    delay = Math.min(delay, policy.maxRetryIntervalInMilliseconds);
  }
  return delay;
}
