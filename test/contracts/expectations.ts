import { isWriteConflict } from '../../shared/core/ports/errors';

/** The write failed, and not as a lost race: what a write to a missing record gives (Cosmos' 404). */
export async function expectMissingRecordError(write: Promise<unknown>): Promise<void> {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  expect(isWriteConflict(error)).toBe(false);
}
