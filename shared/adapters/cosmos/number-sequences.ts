import type { Container } from '@azure/cosmos';
import type { Versioned } from '../../core/ports/errors';
import type { NumberSequences, SequenceState } from '../../core/ports/number-sequences';
import { create, readVersioned, replaceIfMatch } from './documents';

export class CosmosNumberSequences implements NumberSequences {
  constructor(private readonly container: Container) {}

  read(sequenceId: string): Promise<Versioned<SequenceState> | undefined> {
    return readVersioned<SequenceState>(this.container, sequenceId, sequenceId);
  }

  async create(state: SequenceState): Promise<void> {
    await create(this.container, state, `number sequence ${state.id}`);
  }

  async replace(state: SequenceState, etag: string): Promise<void> {
    await replaceIfMatch(this.container, state, state.id, etag, `number sequence ${state.id}`);
  }
}
