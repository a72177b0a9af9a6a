/** The two words of shared memory through which the main thread and a replica worker signal each other (replica-worker.ts). */

/** Index of the request word: 0 idle, 1 a request is waiting on the port, CLOSE stop. */
export const REQUEST = 0;
/** Index of the result word: 1 once the answer is on the port. */
export const RESULT = 1;
export const CLOSE = 2;

/**
 * Waits until flags[index] is no longer `value`: spins for `spinMilliseconds` (a futex wake-up
 * costs about 20 µs here), then sleeps on it. Gives up after `timeoutMilliseconds` and returns false.
 */
export function waitForChange(flags: Int32Array, index: number, value: number, spinMilliseconds: number, timeoutMilliseconds = Infinity): boolean {
  const started = performance.now();
  for (let i = 0; Atomics.load(flags, index) === value; i++) {
    if ((i & 1023) !== 1023) continue;
    const waited = performance.now() - started;
    if (waited > timeoutMilliseconds) return false;
    if (waited > spinMilliseconds) Atomics.wait(flags, index, value, timeoutMilliseconds - waited);
  }
  return true;
}
