/** One row of the benchmark table. Suites export lists of these; main.ts runs and prints them. */

export type Unit = "GFLOP/s" | "ms";

export interface Contenders {
  tapegrad: () => void;
  /** The same computation in tfjs-core on the cpu backend; omit when tfjs has no equivalent. */
  tfjs?: () => void;
  /** Free what setup allocated (tfjs tensors are not garbage collected). */
  dispose?: () => void;
}

export interface BenchCase {
  suite: string;
  name: string;
  unit: Unit;
  /** Floating-point operations per call, for GFLOP/s rows. */
  flops?: number;
  /** Build inputs lazily (filtered-out rows allocate nothing) and return the contenders. */
  setup(): Contenders;
}
