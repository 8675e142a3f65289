import {
  type Device,
  Generator,
  type GradcheckOptions,
  isFloatDType,
  type OpName,
  randn,
  type Shape,
  type Tensor,
  tensor,
} from "@tapegrad/core";

export type CheckFn = (...inputs: Tensor[]) => Tensor | Tensor[];

export interface GradcheckCase<K extends OpName = OpName> {
  name: string;
  /**
   * The registry op this case covers. The compiler insists every differentiable op has a case
   * (see index.ts): keep the literal, i.e. build case lists with `satisfies`, not a type annotation.
   */
  op?: K;
  group: "core" | "layers";
  /** Layer classes (by export name) or functional ops this case covers. */
  layers?: readonly string[];
  build(): { fn: CheckFn; inputs: Tensor[] };
  /**
   * Also check second derivatives with gradgradcheck (fast mode). Default true; a case through
   * a once-differentiable op is reported as such ("once"), not counted as checked.
   */
  secondOrder?: boolean;
  options?: Omit<GradcheckOptions, "name" | "raiseException">;
}

/** A seeded stream: every case builds its own so runs and filters are reproducible. */
export function gen(seed: number): Generator {
  return new Generator(seed);
}

/**
 * Standard normal float64 tensor, scaled and shifted, requiring grad unless told otherwise. On
 * the CPU whatever the default device: the helpers below write its values.
 */
export function rn(
  g: Generator,
  shape: Shape,
  opts: { scale?: number; shift?: number; grad?: boolean } = {},
): Tensor {
  const t = randn(shape, { dtype: "float64", generator: g, device: "cpu" });
  const { scale = 1, shift = 0, grad = true } = opts;
  for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * scale + shift;
  t.requiresGrad = grad;
  return t;
}

/**
 * Random values kept at least `margin` away from each of `points`, so a kink (relu and abs at 0,
 * clamp bounds) is never within a finite-difference step of an input.
 */
export function avoiding(
  g: Generator,
  shape: Shape,
  points: readonly number[],
  margin = 0.05,
): Tensor {
  const t = rn(g, shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    for (const p of points) {
      const off = d[i]! - p;
      if (Math.abs(off) < margin) d[i] = p + (off < 0 ? -margin : margin);
    }
  }
  return t;
}

/** Values on the grid step·k + offset (plus a tiny jitter): two grids with offsets half a step apart never tie. */
export function onGrid(g: Generator, shape: Shape, step: number, offset: number): Tensor {
  const t = rn(g, shape);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.round(d[i]! / step) * step + offset;
  return t;
}

/** Distinct values 0.1 apart in random order: no ties for max/min/maxPool, by construction. */
export function distinct(g: Generator, shape: Shape): Tensor {
  const t = rn(g, shape);
  const n = t.size;
  const perm = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(g.random() * (i + 1));
    [perm[i], perm[j]] = [perm[j]!, perm[i]!];
  }
  for (let i = 0; i < n; i++) t.data[i] = (perm[i]! - n / 2) * 0.1;
  return t;
}

/** exp of a normal: strictly positive values for log, sqrt, pow bases. */
export function positive(g: Generator, shape: Shape, scale = 0.5): Tensor {
  const t = rn(g, shape, { scale });
  for (let i = 0; i < t.size; i++) t.data[i] = Math.exp(t.data[i]!);
  return t;
}

/**
 * Fixed int32 values (indices, class labels) on the default device: a case that makes them in
 * its `fn` gets them where the device comparison runs `fn` (`withDevice`, device-compare.ts).
 */
export function int32(values: readonly number[], shape: Shape): Tensor {
  return tensor(Int32Array.from(values), { dtype: "int32", shape });
}

/** A fixed bool mask on the default device (see int32), or on `device`. */
export function bool(values: readonly number[], shape: Shape, device?: Device): Tensor {
  return tensor(Uint8Array.from(values), { dtype: "bool", shape, ...(device ? { device } : {}) });
}

/**
 * A case's fixed tensor `c` (made once, on the CPU) in `like`'s dtype (when both are float) and
 * on `like`'s device, for use inside `fn`: the same values whichever device and float dtype the
 * case runs in.
 */
export function fixed(c: Tensor, like: Tensor): Tensor {
  const typed = isFloatDType(c.dtype) && isFloatDType(like.dtype) ? c.to(like.dtype) : c;
  return typed.device === like.device ? typed : typed.to(like.device);
}
