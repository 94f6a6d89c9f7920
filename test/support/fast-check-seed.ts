/**
 * One seed policy for every property test (jest `setupFiles`).
 *
 * - Locally, each run draws a new seed: `npm test` keeps exploring, and fast-check prints the seed
 *   and path of any counterexample.
 * - In CI (`CI=true`) the seed is fixed, so what gates a merge is a known set of cases rather than
 *   the luck of the draw. New cases come from long local hunts (`FAST_CHECK_RUNS=100 npx jest
 *   test/invariants/model.test.ts`); each counterexample found is kept as a plain regression test.
 * - `FAST_CHECK_SEED` replays a seed anywhere (with `FAST_CHECK_PATH` for one case of the model test).
 */
import fc from 'fast-check';

const CI_SEED = 20261121;

const seed = process.env.FAST_CHECK_SEED ? Number(process.env.FAST_CHECK_SEED) : process.env.CI === 'true' ? CI_SEED : undefined;
if (seed !== undefined) fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
