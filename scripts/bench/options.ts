/**
 * Benchmark sizes: defaults are DESIGN.md section 8's figures; env vars or flags shrink them for
 * quick runs. `--quick` picks sizes that finish in a few minutes on a 2-core machine.
 */
export interface BenchOptions {
  /** Sign-ups per sign-up scenario (each scenario and its floor use this many). */
  signUps: number;
  /** Sign-ups in flight at once (section 8: 16). */
  concurrency: number;
  /** Queued operations in the main drain (section 8: 20,000). */
  drain: number;
  /**
   * Backlog the bare drain floor drains: the app's size by default, so that whatever the emulators
   * still cost per stored message weighs on the floor as on the app (a smaller one would flatter it).
   */
  drainFloor: number;
  /**
   * The two backlogs of the scale comparison (section 8: 2,000 and 20,000). When the large one
   * equals the drain, the drain's measurement is used for both (one drain of 20,000, not two).
   */
  scaleSmall: number;
  scaleLarge: number;
  /** Continuous mode, no operator: sign-ups per second and for how long (section 8: 50/s for 60 s). */
  steadyRate: number;
  steadySeconds: number;
  /** Idle window whose storage requests are counted and scaled to an hour. */
  idleWindowSeconds: number;
  /**
   * The continuous scenario's `Sync__idleDelaySeconds` when the environment sets none: the sample
   * settings' (10) by default; `--quick` uses 5, which halves the scenario's idle waits.
   */
  idleDelaySeconds?: number;
  /**
   * Minutes the loop idles before the single sign-up (section 8: 5). 0: until the loop reports
   * its maximum idle delay on /api/ops/metrics, the steady idle state 5 minutes would reach.
   */
  idleMinutes: number;
  /** Queued sign-ups the host is SIGKILLed while uploading (recovery). */
  recoveryBacklog: number;
  /** Added HQ latency for the "async does not feel HQ" check (section 8: 200 ms). */
  hqLatencyMs: number;
  /** Hard bound on any one phase, so a stuck emulator ends the run instead of hanging it. */
  phaseTimeoutMs: number;
  quick: boolean;
  /** Scenarios to run (all by default); `--only=signup,drain,scale`. */
  only: Set<string>;
}

const FULL: Sizes = { signUps: 2000, drain: 20_000, scaleSmall: 2000, scaleLarge: 20_000, steadySeconds: 60, idleWindowSeconds: 60, recoveryBacklog: 1000 };
const QUICK: Sizes = {
  signUps: 400,
  drain: 1000,
  scaleSmall: 200,
  scaleLarge: 1000,
  steadySeconds: 10,
  idleWindowSeconds: 10,
  recoveryBacklog: 300,
  idleDelaySeconds: 5,
};

type Sizes = Pick<
  BenchOptions,
  'signUps' | 'drain' | 'scaleSmall' | 'scaleLarge' | 'steadySeconds' | 'idleWindowSeconds' | 'recoveryBacklog' | 'idleDelaySeconds'
>;

export const SCENARIOS = ['signup', 'drain', 'scale', 'time-to-hq', 'continuous', 'recovery'] as const;

export function readOptions(argv: string[] = process.argv.slice(2), env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const flags = new Map<string, string>();
  for (const arg of argv) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!match)
      throw new Error(
        `unknown argument ${arg} (flags: --quick, --signups=N, --drain=N, --scale-small=N, --scale-large=N, --steady-rate=N, --steady-seconds=N, --idle-window=N, --idle-minutes=N, --recovery-backlog=N, --only=a,b)`,
      );
    flags.set(match[1], match[2] ?? 'true');
  }
  const quick = flags.get('quick') === 'true' || env.BENCH_QUICK === 'true';
  const base = quick ? QUICK : FULL;
  const int = (flag: string, name: string, fallback: number, min = 1): number => {
    const raw = flags.get(flag) ?? env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} / --${flag}: "${raw}" is not a whole number >= ${min}`);
    return n;
  };
  const drain = int('drain', 'BENCH_DRAIN', base.drain);
  const onlyRaw = flags.get('only') ?? env.BENCH_ONLY;
  const only = new Set(onlyRaw ? onlyRaw.split(',').map((s) => s.trim()) : SCENARIOS);
  for (const name of only) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`--only: unknown scenario ${name}`);
  return {
    signUps: int('signups', 'BENCH_SIGNUPS', base.signUps),
    concurrency: int('concurrency', 'BENCH_CONCURRENCY', 16),
    drain,
    drainFloor: int('drain-floor', 'BENCH_DRAIN_FLOOR', drain),
    scaleSmall: int('scale-small', 'BENCH_SCALE_SMALL', base.scaleSmall),
    scaleLarge: int('scale-large', 'BENCH_SCALE_LARGE', base.scaleLarge),
    steadyRate: int('steady-rate', 'BENCH_STEADY_RATE', 50),
    steadySeconds: int('steady-seconds', 'BENCH_STEADY_SECONDS', base.steadySeconds),
    idleWindowSeconds: int('idle-window', 'BENCH_IDLE_WINDOW_SECONDS', base.idleWindowSeconds),
    idleDelaySeconds: base.idleDelaySeconds,
    idleMinutes: int('idle-minutes', 'BENCH_IDLE_MINUTES', 0, 0),
    recoveryBacklog: int('recovery-backlog', 'BENCH_RECOVERY_BACKLOG', base.recoveryBacklog),
    hqLatencyMs: int('hq-latency', 'BENCH_HQ_LATENCY_MS', 200, 0),
    phaseTimeoutMs: int('phase-timeout', 'BENCH_PHASE_TIMEOUT_MS', 60 * 60_000),
    quick,
    only,
  };
}
