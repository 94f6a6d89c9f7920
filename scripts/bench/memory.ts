/**
 * Samples the bench process's memory every 100 ms. The bench process runs the app code (upload,
 * synchronize), so its peak is the app's peak for a drain; sampling on a timer catches peaks a
 * before/after reading would miss.
 */
export interface MemoryPeak {
  rssMb: number;
  heapUsedMb: number;
  samples: number;
}

export class MemorySampler {
  private timer: NodeJS.Timeout | undefined;
  private peak = { rss: 0, heapUsed: 0, samples: 0 };

  start(intervalMs = 100): void {
    this.stop();
    this.peak = { rss: 0, heapUsed: 0, samples: 0 };
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): MemoryPeak {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.sample();
    const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
    return { rssMb: mb(this.peak.rss), heapUsedMb: mb(this.peak.heapUsed), samples: this.peak.samples };
  }

  private sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.peak.rss = Math.max(this.peak.rss, rss);
    this.peak.heapUsed = Math.max(this.peak.heapUsed, heapUsed);
    this.peak.samples++;
  }
}
