import { coreState } from "./global-state.js";

/**
 * A seeded pseudo-random generator: xoshiro128** seeded through splitmix32. Only 32-bit integer
 * arithmetic (Math.imul, shifts), so the same seed gives the same numbers on every machine and
 * in every JavaScript engine.
 */
export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private _seed = 0;

  constructor(seed = 0) {
    this.manualSeed(seed);
  }

  /** Reset to the stream of `seed` (any integer; taken modulo 2^32). */
  manualSeed(seed: number): this {
    if (!Number.isFinite(seed))
      throw new Error(`manualSeed: seed must be a finite number, got ${seed}`);
    this._seed = seed;
    let x = Math.trunc(seed) >>> 0;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    return this;
  }

  /** The seed last set. */
  initialSeed(): number {
    return this._seed;
  }

  /** The full state, for checkpoints: restore it with setState to continue the same stream. */
  getState(): number[] {
    return [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0];
  }

  setState(state: readonly number[]): this {
    if (
      !Array.isArray(state) ||
      state.length !== 4 ||
      state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)
    ) {
      throw new Error("Generator.setState: expected 4 unsigned 32-bit integers");
    }
    if (state.every((v) => v === 0)) {
      // xoshiro128** maps zero to zero: the stream would be all zeros forever.
      throw new Error("Generator.setState: the all-zero state is not a valid xoshiro128** state");
    }
    [this.s0, this.s1, this.s2, this.s3] = state.map((v) => v | 0) as [
      number,
      number,
      number,
      number,
    ];
    return this;
  }

  /** The next unsigned 32-bit integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [low, high). */
  randint(low: number, high: number): number {
    return low + Math.floor(this.random() * (high - low));
  }

  /** Fill `out` with standard normal values (Box–Muller, both values of each pair used). */
  fillNormal(out: { length: number; [i: number]: number }, mean = 0, std = 1): void {
    const n = out.length;
    for (let i = 0; i < n; i += 2) {
      const u1 = 1 - this.random(); // (0, 1]: log is finite
      const u2 = this.random();
      const r = Math.sqrt(-2 * Math.log(u1));
      const a = 2 * Math.PI * u2;
      out[i] = mean + std * r * Math.cos(a);
      if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(a);
    }
  }

  /**
   * Fill `out` with uniform values in [low, high). A Float32Array gets 24-bit values (as
   * PyTorch does for float32), so rounding to float32 can never produce `high` for [0, 1).
   */
  fillUniform(out: { length: number; [i: number]: number }, low = 0, high = 1): void {
    const span = high - low;
    if (out instanceof Float32Array) {
      for (let i = 0; i < out.length; i++)
        out[i] = low + span * ((this.nextUint32() >>> 8) / 16777216);
    } else {
      for (let i = 0; i < out.length; i++) out[i] = low + span * this.random();
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * The generator used when none is passed: one per process, shared by every copy of core, so
 * `manualSeed` from any copy seeds them all.
 */
if (coreState.defaultGenerator === undefined) coreState.defaultGenerator = new Generator(0);
export const defaultGenerator = coreState.defaultGenerator as Generator;

/** Seed the default generator (torch.manual_seed). */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.manualSeed(seed);
}
