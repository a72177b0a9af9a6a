/** The two words of shared memory through which the main thread and a replica worker signal each other (replica-worker.ts). */

/** Index of the request word: 0 idle, 1 a request is waiting on the port, CLOSE stop. */
export const REQUEST = 0;
/** Index of the result word: 1 once the answer is on the port. */
export const RESULT = 1;
export const CLOSE = 2;

/** How long a waiting thread spins before it sleeps: a futex wake-up costs about 20 µs here. */
const SPIN_MILLISECONDS = 1;

/** Returns once flags[index] is no longer `value`: spins briefly, then sleeps on it. */
export function waitForChange(flags: Int32Array, index: number, value: number): void {
  const until = performance.now() + SPIN_MILLISECONDS;
  for (let i = 0; Atomics.load(flags, index) === value; i++) {
    if ((i & 1023) === 1023 && performance.now() > until) {
      Atomics.wait(flags, index, value);
    }
  }
}
