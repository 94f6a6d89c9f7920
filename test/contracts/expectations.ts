import { isWriteConflict, MissingRecordError } from '../../shared/core/ports/errors';

/** The write failed as a write to a missing record (Cosmos' 404), not as a lost race. */
export async function expectMissingRecordError(write: Promise<unknown>): Promise<void> {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MissingRecordError);
  expect(isWriteConflict(error)).toBe(false);
}
