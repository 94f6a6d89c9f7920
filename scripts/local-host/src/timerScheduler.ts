/**
 * Timer triggers on their NCRONTAB schedules (six fields, seconds first; `%Setting%` resolved from
 * the environment; a TimeSpan like `00:05:00` means a fixed interval). Like the host, a timer does
 * not overlap itself: an occurrence that comes while the previous run is still going is skipped.
 * Schedule status is kept in memory (the host keeps it in a blob), so `isPastDue` is only true when
 * this process fired late.
 */
import { CronExpressionParser } from 'cron-parser';
import type { Registration, Registry } from './registry';
import { resolveSettingExpression } from './settings';
import { errorMessage, type Invoker, type LogSink } from './invoker';
import type { RpcParameterBinding } from './types';

/** Longest delay setTimeout accepts; longer waits re-arm. */
const MAX_DELAY_MS = 2_147_000_000;
const PAST_DUE_AFTER_MS = 1_000;

export interface Schedule {
  expression: string;
  next(after: Date): Date;
}

export function parseSchedule(expression: string): Schedule {
  const interval = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/.exec(expression.trim());
  if (interval) {
    const ms = ((Number(interval[1] ?? 0) * 24 + Number(interval[2])) * 3600 + Number(interval[3]) * 60 + Number(interval[4])) * 1000;
    if (ms <= 0) throw new Error(`Timer interval "${expression}" must be positive`);
    return { expression, next: (after) => new Date(after.getTime() + ms) };
  }
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(`"${expression}" is not a six-field NCRONTAB expression (second minute hour day month weekday)`);
  }
  // Validate now, so a bad schedule fails at start-up like in the host.
  CronExpressionParser.parse(expression, { currentDate: new Date(), tz: 'UTC' });
  return {
    expression,
    next: (after) => CronExpressionParser.parse(expression, { currentDate: after, tz: 'UTC' }).next().toDate(),
  };
}

interface TimerState {
  registration: Registration;
  schedule: Schedule;
  runOnStartup: boolean;
  handle?: NodeJS.Timeout;
  running: boolean;
  last?: Date;
  next?: Date;
}

export interface TimerSchedulerOptions {
  registry: Registry;
  invoker: Invoker;
  env: Record<string, string | undefined>;
  log: LogSink;
  extraInputs(registration: Registration): RpcParameterBinding[];
}

export class TimerScheduler {
  private readonly timers: TimerState[];
  private stopped = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly options: TimerSchedulerOptions) {
    this.timers = options.registry.byTriggerType('timerTrigger').map((registration) => {
      const raw = registration.trigger.schedule;
      if (typeof raw !== 'string') throw new Error(`Timer function "${registration.name}" has no schedule`);
      const schedule = parseSchedule(resolveSettingExpression(raw, options.env));
      return { registration, schedule, runOnStartup: registration.trigger.runOnStartup === true, running: false };
    });
  }

  describe(): { name: string; schedule: string; next?: string }[] {
    return this.timers.map((t) => ({ name: t.registration.name, schedule: t.schedule.expression, next: t.next?.toISOString() }));
  }

  start(): void {
    for (const timer of this.timers) {
      this.arm(timer);
      this.options.log(`${timer.registration.name}: timerTrigger, schedule '${timer.schedule.expression}', next ${timer.next?.toISOString()}`);
      if (timer.runOnStartup) this.fire(timer, new Date(), false);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer.handle);
    await Promise.allSettled([...this.inFlight]);
  }

  private arm(timer: TimerState): void {
    if (this.stopped) return;
    const next = timer.schedule.next(new Date());
    timer.next = next;
    const wait = () => {
      const delay = next.getTime() - Date.now();
      if (delay > MAX_DELAY_MS) {
        timer.handle = setTimeout(wait, MAX_DELAY_MS);
        return;
      }
      timer.handle = setTimeout(
        () => {
          this.fire(timer, next, true);
          this.arm(timer);
        },
        Math.max(0, delay),
      );
    };
    wait();
  }

  private fire(timer: TimerState, scheduledFor: Date, scheduled: boolean): void {
    if (this.stopped) return;
    if (timer.running) {
      this.options.log(`${timer.registration.name}: skipping the occurrence at ${scheduledFor.toISOString()}, the previous run is still going`);
      return;
    }
    timer.running = true;
    const now = new Date();
    const payload = {
      Schedule: { AdjustForDST: true },
      ScheduleStatus: timer.last ? { Last: timer.last.toISOString(), Next: timer.next?.toISOString(), LastUpdated: now.toISOString() } : null,
      IsPastDue: scheduled && now.getTime() - scheduledFor.getTime() > PAST_DUE_AFTER_MS,
    };
    const run = this.options.invoker
      .invoke(timer.registration, {
        inputData: [{ name: timer.registration.triggerName, data: { json: JSON.stringify(payload) } }, ...this.options.extraInputs(timer.registration)],
        reason: scheduled ? `Timer fired at ${now.toISOString()}` : 'RunOnStartup',
      })
      .then(
        () => undefined,
        (error: unknown) => this.options.log(`${timer.registration.name}: timer run failed: ${errorMessage(error)}`),
      )
      .finally(() => {
        timer.running = false;
        timer.last = now;
        this.inFlight.delete(run);
      });
    this.inFlight.add(run);
  }
}
