/** One row of the benchmark table. Suites export lists of these; main.ts runs and prints them. */

export type Unit = "GFLOP/s" | "ms";

/** A contender's timed call; jax-js calls are asynchronous (they end with a readback). */
export type Timed = () => void | Promise<void>;

/**
 * The contenders of one row, by name. tapegrad runs twice, on one thread and on every thread
 * (`setNumThreads` is switched around each call); jax-js (jit, WebAssembly) and tfjs on its
 * WebAssembly backend run the same computation where they have it.
 */
export interface Contenders {
  tapegrad: Timed;
  jax?: Timed;
  tfjs?: Timed;
  /** Free what setup allocated (jax-js and tfjs tensors are not garbage collected). */
  dispose?: () => void;
}

export interface BenchCase {
  suite: string;
  name: string;
  unit: Unit;
  /** Floating-point operations per call, for GFLOP/s rows. */
  flops?: number;
  /**
   * Untimed calls before the timed ones, after the first call (which already runs every
   * contender once to see that it works). Default 2, 1 with --quick.
   */
  warmup?: number;
  /** Build inputs lazily (filtered-out rows allocate nothing) and return the contenders. */
  setup(): Contenders | Promise<Contenders>;
}
