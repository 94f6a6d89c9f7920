/**
 * Progress on stderr while the benchmark runs. A one-line bar redrawn in place on a terminal;
 * one plain line per phase (start and end) when stderr is not a TTY or CI=true, so logs stay
 * readable. No dependency: a bar is a few characters.
 */
export interface Phase {
  /** Counts `n` more units of work done. */
  tick(n?: number): void;
  /** Ends the phase with a one-line summary. */
  done(summary?: string): void;
}

const WIDTH = 28;
const REDRAW_MS = 200;

export class Progress {
  private readonly live: boolean;
  private readonly started = Date.now();

  constructor(stream: NodeJS.WriteStream = process.stderr, env: NodeJS.ProcessEnv = process.env) {
    this.stream = stream;
    this.live = Boolean(stream.isTTY) && env.CI !== 'true';
  }

  private readonly stream: NodeJS.WriteStream;

  /** A phase of `total` units (0 when unknown: then the bar shows a count only). */
  phase(name: string, total = 0): Phase {
    const t0 = Date.now();
    let doneCount = 0;
    let lastDraw = 0;
    const elapsed = () => `${((Date.now() - this.started) / 1000).toFixed(0)}s`;
    const draw = (force = false) => {
      if (!this.live) return;
      const now = Date.now();
      if (!force && now - lastDraw < REDRAW_MS) return;
      lastDraw = now;
      const rate = doneCount / Math.max(0.001, (now - t0) / 1000);
      const fraction = total > 0 ? Math.min(1, doneCount / total) : 0;
      const filled = Math.round(fraction * WIDTH);
      const bar = total > 0 ? `[${'#'.repeat(filled)}${' '.repeat(WIDTH - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}%` : '[running]';
      const count = total > 0 ? `${doneCount}/${total}` : `${doneCount}`;
      this.stream.write(`\r\x1b[2K${bar} ${name} ${count} ${rate.toFixed(0)}/s (${elapsed()})`);
    };
    if (!this.live) this.stream.write(`[bench ${elapsed()}] ${name}${total > 0 ? ` (${total})` : ''}...\n`);
    draw(true);
    return {
      tick: (n = 1) => {
        doneCount += n;
        draw();
      },
      done: (summary) => {
        const seconds = ((Date.now() - t0) / 1000).toFixed(1);
        const line = `${name}: done in ${seconds}s${summary ? ` (${summary})` : ''}`;
        if (this.live) this.stream.write(`\r\x1b[2K${line}\n`);
        else this.stream.write(`[bench ${elapsed()}] ${line}\n`);
      },
    };
  }

  /** A plain note between phases. */
  note(message: string): void {
    this.stream.write(`${this.live ? '\r\x1b[2K' : `[bench] `}${message}\n`);
  }
}
