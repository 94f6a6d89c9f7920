import { isWriteConflict } from '../ports/errors';
import type { NumberSequences } from '../ports/number-sequences';

/**
 * HQ's customer account number sequence. Each process reserves a block of numbers with an
 * optimistic-concurrency write, then hands them out from memory: never the same number twice,
 * across processes too, at one store round trip per block instead of one per customer. Numbers
 * left in a block when a process stops are skipped, as HQ number sequences may do.
 */
export class AccountNumbers {
  private block = { next: 0, end: 0 };
  private reserving: Promise<void> | undefined;

  constructor(
    private readonly sequences: NumberSequences,
    private readonly sequenceId: string,
    private readonly format: (n: number) => string,
    private readonly blockSize = 100,
  ) {}

  async next(): Promise<string> {
    while (this.block.next >= this.block.end) {
      this.reserving ??= this.reserveBlock().finally(() => (this.reserving = undefined));
      await this.reserving;
    }
    return this.format(this.block.next++);
  }

  private async reserveBlock(): Promise<void> {
    for (;;) {
      const current = await this.sequences.read(this.sequenceId);
      try {
        if (!current) {
          await this.sequences.create({ id: this.sequenceId, next: 1 + this.blockSize });
          this.block = { next: 1, end: 1 + this.blockSize };
        } else {
          const next = current.doc.next + this.blockSize;
          await this.sequences.replace({ id: this.sequenceId, next }, current.etag);
          this.block = { next: current.doc.next, end: next };
        }
        return;
      } catch (error) {
        // Another process reserved first: read again and take the following block.
        if (!isWriteConflict(error)) throw error;
      }
    }
  }
}

export function accountNumberFormat(prefix: string): (n: number) => string {
  return (n) => {
    if (n > 999_999_999) throw new Error('the customer account number sequence is exhausted');
    return `${prefix}${String(n).padStart(9, '0')}`;
  };
}
