// Type augmentation for the custom matchers registered by @tapegrad/vitest-preset/setup.
// Add "@tapegrad/vitest-preset/matchers" to compilerOptions.types (the package tsconfigs do).
import "vitest";

export type AllCloseValue =
  | number
  | ArrayLike<number>
  | ReadonlyArray<AllCloseValue>
  | { readonly shape: readonly number[]; readonly data: ArrayLike<number> }
  | { toArray(): unknown };

export interface AllCloseOptions {
  /** Absolute tolerance (default 1e-6). */
  atol?: number;
  /** Relative tolerance, scaled by |expected| (default 1e-5). */
  rtol?: number;
  /** Treat NaN in the same position as equal (default false). */
  equalNaN?: boolean;
}

interface TapegradMatchers<R = unknown> {
  /** NumPy `allclose`: |actual - expected| <= atol + rtol * |expected|, elementwise, same shape. */
  toBeAllClose(expected: AllCloseValue | unknown, options?: AllCloseOptions): R;
}

declare module "vitest" {
  // biome-ignore lint/suspicious/noExplicitAny: must match vitest's own declaration
  interface Assertion<T = any> extends TapegradMatchers<T> {}
  interface AsymmetricMatchersContaining extends TapegradMatchers {}
}
