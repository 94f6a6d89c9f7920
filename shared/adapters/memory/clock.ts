import type { Clock } from '../../core/ports/clock';

/** A clock that moves only when told: for model tests, and for the memory queue's visibility timeouts. */
export class ManualClock implements Clock {
  private time: number;

  constructor(start: Date | string = '2024-01-01T00:00:00.000Z') {
    this.time = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.time);
  }

  advance(ms: number): void {
    this.time += ms;
  }

  set(to: Date | string): void {
    this.time = new Date(to).getTime();
  }
}
