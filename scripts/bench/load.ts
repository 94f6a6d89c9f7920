/**
 * Runs a fixed number of tasks at a fixed concurrency and records each one's latency: the shape
 * of every throughput figure in the benchmark, floors included, so both sides are timed alike.
 */
import type { Phase } from './progress';

export interface LoadResult {
  count: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  perSecond: number;
  latenciesMs: number[];
  p50: number;
  p99: number;
}

export async function runLoad(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
  options: { phase?: Phase; timeoutMs: number },
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const deadline = Date.now() + options.timeoutMs;
  const t0 = performance.now();
  const worker = async () => {
    // Bounded in count (each index once) and in time (the deadline).
    while (next < count && Date.now() < deadline) {
      const index = next++;
      const start = performance.now();
      try {
        await task(index);
      } catch (error) {
        errors++;
        firstError ??= (error as Error).message ?? String(error);
      }
      latencies.push(performance.now() - start);
      options.phase?.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  const elapsedMs = performance.now() - t0;
  if (next < count) throw new Error(`load stopped by its ${options.timeoutMs} ms bound after ${next} of ${count} tasks`);
  return summarize(latencies, elapsedMs, errors, firstError);
}

export function summarize(latenciesMs: number[], elapsedMs: number, errors = 0, firstError?: string): LoadResult {
  return {
    count: latenciesMs.length,
    errors,
    firstError,
    elapsedMs,
    perSecond: latenciesMs.length / (elapsedMs / 1000),
    latenciesMs,
    p50: percentile(latenciesMs, 0.5),
    p99: percentile(latenciesMs, 0.99),
  };
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}
