import type { Versioned } from '../../core/ports/errors';
import type { NumberSequences, SequenceState } from '../../core/ports/number-sequences';
import { MemoryContainer } from './documents';

export class MemoryNumberSequences implements NumberSequences {
  constructor(readonly container = new MemoryContainer<SequenceState>()) {}

  async read(sequenceId: string): Promise<Versioned<SequenceState> | undefined> {
    return this.container.read(sequenceId);
  }

  async create(state: SequenceState): Promise<void> {
    this.container.create(state, `number sequence ${state.id}`);
  }

  async replace(state: SequenceState, etag: string): Promise<void> {
    this.container.replace(state, etag, `number sequence ${state.id}`);
  }
}
