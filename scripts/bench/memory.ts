/**
 * Samples the bench process's memory during a drain. The bench process runs the app code (upload,
 * synchronize), so its peak is the app's peak for a drain; sampling on a timer catches peaks a
 * before/after reading would miss.
 *
 * Two heap figures: the raw peak of `heapUsed` (every 100 ms), which includes garbage not yet
 * collected and so depends on when V8 chose to collect; and the peak *live* heap, `heapUsed` right
 * after a full GC (every 2 s), which is what the drain keeps: the figure that would grow if the
 * backlog were loaded rather than streamed page by page.
 */
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
  private peak = { rss: 0, heapUsed: 0, live: 0, samples: 0, liveSamples: 0 };

  start(intervalMs = 100, liveIntervalMs = 2000): void {
    this.stop();
    this.peak = { rss: 0, heapUsed: 0, live: 0, samples: 0, liveSamples: 0 };
    this.sample();
    this.sampleLive();
    this.timers = [setInterval(() => this.sample(), intervalMs), setInterval(() => this.sampleLive(), liveIntervalMs)];
    for (const timer of this.timers) timer.unref();
  }

  stop(): MemoryPeak {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
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

  private sampleLive(): void {
    collectGarbage();
    this.peak.live = Math.max(this.peak.live, process.memoryUsage().heapUsed);
    this.peak.liveSamples++;
  }
}
