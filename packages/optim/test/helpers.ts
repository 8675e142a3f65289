import { type Tensor, tensor } from "@tapegrad/core";

export type DT = "float32" | "float64";

/** Gradient of f(w) = Σ (w − c)²: 2(w − c), set as p.grad. */
export function setQuadGrad(p: Tensor, c: readonly number[]): void {
  const g = Array.from(p.data, (w, i) => 2 * (w - c[i]!));
  p.grad = tensor(g, { dtype: p.dtype });
}

export function param(values: number[], dtype: DT = "float64"): Tensor {
  return tensor(values, { dtype, requiresGrad: true });
}

/** Run `steps` optimizer steps on f(w) = Σ (w − c)², recording w after each. */
export function trajectory(
  opt: { step(): void; zeroGrad(): void },
  p: Tensor,
  c: readonly number[],
  steps: number,
): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    setQuadGrad(p, c);
    opt.step();
    out.push(Array.from(p.data));
  }
  return out;
}
