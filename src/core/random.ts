import type { FloatArray } from './arrays.js';

/**
 * A small, seeded pseudo-random number generator (xoshiro128**), so every
 * run is reproducible: the same seed gives the same initial weights, the same
 * batch order and the same samples, in Node and in the browser. Its whole
 * state is four 32-bit words, saved in checkpoints so a resumed run continues
 * the exact random sequence.
 */
export class Random {
  private readonly state = new Uint32Array(4);

  /** Mixes any number of integers (seed, epoch, ...) into a starting state with splitmix32. */
  constructor(...seeds: number[]) {
    let mixed = 0x9e3779b9;
    for (const seed of seeds) mixed = Math.imul(mixed ^ (seed >>> 0), 0x85ebca6b) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      mixed = (mixed + 0x9e3779b9) | 0;
      let z = mixed;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.state[i] = z ^ (z >>> 16);
    }
    if (this.state.every((word) => word === 0)) this.state[0] = 1; // the all-zero state never leaves zero
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.state;
    const result = Math.imul(rotateLeft(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotateLeft(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1), with 53 random bits. */
  uniform(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /**
   * Dropout's mask: each entry of `mask` becomes 0 with probability p (to 2⁻³²) and `kept` otherwise.
   * One 32-bit draw per entry, the same draws as nextUint32() in turn, with the generator's state in
   * local variables: a mask is half a million entries a step for an LSTM of 256 on 32 × 64 tokens,
   * where uniform()'s two draws through the state array cost a quarter of the step.
   */
  dropoutMask(mask: FloatArray, p: number, kept: number): void {
    const threshold = Math.floor(p * 2 ** 32);
    const s = this.state;
    // As int32s from the start (the array's words are uint32s): the loop then runs on small integers only.
    let s0 = s[0] | 0;
    let s1 = s[1] | 0;
    let s2 = s[2] | 0;
    let s3 = s[3] | 0;
    for (let i = 0; i < mask.length; i++) {
      const x = Math.imul(s1, 5);
      const draw = Math.imul((x << 7) | (x >>> 25), 9) >>> 0; // nextUint32()'s result
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      mask[i] = draw < threshold ? 0 : kept;
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
  }

  /** Standard normal N(0, 1) by the Box–Muller transform. */
  normal(): number {
    const u1 = 1 - this.uniform(); // in (0, 1], so log(u1) is finite
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** A uniform integer in [0, n). */
  integer(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Fisher–Yates shuffle, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.integer(i + 1);
      const swap = items[i];
      items[i] = items[j];
      items[j] = swap;
    }
    return items;
  }

  /** The generator's state (four 32-bit words), to save in a checkpoint. */
  getState(): number[] {
    return Array.from(this.state);
  }

  /** Restores a state from getState(). */
  setState(words: readonly number[]): void {
    if (words.length !== 4 || words.every((word) => word === 0)) throw new Error('random state must be four words, not all zero');
    this.state.set(words);
  }
}

function rotateLeft(value: number, bits: number): number {
  return (value << bits) | (value >>> (32 - bits));
}
