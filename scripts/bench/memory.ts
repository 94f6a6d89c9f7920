/**
 * Samples the bench process's memory during a drain. The bench process runs the app code (upload,
 * synchronize), so its peak is the app's peak for a drain; sampling on a timer catches peaks a
 * before/after reading would miss.
 *
 * Two heap figures: the raw peak of `heapUsed` (every 100 ms), which includes garbage not yet
 * collected and so depends on when V8 chose to collect; and the peak *live* heap, `heapUsed` right
 * after each full (mark-compact) GC V8 runs during the drain, which is what the drain keeps: the
 * figure that would grow if the backlog were loaded rather than streamed page by page.
 *
 * The live heap is read after V8's own full collections, not after forced ones: a forced `gc()`
 * every 2 s cost a 2,000-customer drain 1.7-4 ms more CPU per customer in the bench process
 * (10.3-12.8 ms against 8.6-8.9 without), a fifth of that process's CPU, which the app's drain
 * figure paid and its floor did not.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';

export interface MemoryPeak {
  rssMb: number;
  heapUsedMb: number;
  liveHeapMb: number;
  samples: number;
  liveSamples: number;
}

let gc: (() => void) | undefined;
/** A full garbage collection (V8's `gc`, exposed at run time so the bench needs no node flag). */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString('--expose-gc');
    gc = vm.runInNewContext('gc') as () => void;
  }
  gc();
}

export class MemorySampler {
  private timers: NodeJS.Timeout[] = [];
  private observer: PerformanceObserver | undefined;
  private peak = { rss: 0, heapUsed: 0, live: 0, samples: 0, liveSamples: 0 };

  /** Starts with one forced full GC (before the caller starts its clock), then only watches. */
  start(intervalMs = 100): void {
    this.stop();
    this.peak = { rss: 0, heapUsed: 0, live: 0, samples: 0, liveSamples: 0 };
    collectGarbage();
    this.sample();
    this.sampleLive();
    this.timers = [setInterval(() => this.sample(), intervalMs)];
    for (const timer of this.timers) timer.unref();
    this.observer = new PerformanceObserver((list) => {
      if (list.getEntries().some((entry) => (entry.detail as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MAJOR)) this.sampleLive();
    });
    this.observer.observe({ entryTypes: ['gc'] });
  }

  stop(): MemoryPeak {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.observer?.disconnect();
    this.observer = undefined;
    this.sample();
    const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    return {
      rssMb: mb(this.peak.rss),
      heapUsedMb: mb(this.peak.heapUsed),
      liveHeapMb: mb(this.peak.live),
      samples: this.peak.samples,
      liveSamples: this.peak.liveSamples,
    };
  }

  private sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.peak.rss = Math.max(this.peak.rss, rss);
    this.peak.heapUsed = Math.max(this.peak.heapUsed, heapUsed);
    this.peak.samples++;
  }

  /** Right after a full GC: what is still reachable (plus whatever was allocated since it ended). */
  private sampleLive(): void {
    this.peak.live = Math.max(this.peak.live, process.memoryUsage().heapUsed);
    this.peak.liveSamples++;
  }
}
