/**
 * One check for the WebGPU ops: run `f` on CPU float32 tensors and on their WebGPU copies, then
 * compare the outputs and — through `(y·w).sum()` with a random `w`, so that no gradient is a
 * plain sum — every float input's gradient, within the stated tolerance.
 */
import { expect } from "vitest";
import { isFloatDType, randn, type Tensor } from "../../src/index.js";
import { values } from "./gpu.js";

export interface Tolerance {
  atol: number;
  rtol: number;
  /** NaN in both places counts as equal (default true: NaN cases are tested on purpose). */
  equalNaN?: boolean;
}

/** The GPU result of `f` and its gradients equal the CPU's within `tol`. */
export async function expectCpuParity(
  f: (...xs: Tensor[]) => Tensor,
  inputs: readonly Tensor[],
  tol: Tolerance,
  options: { grad?: boolean } = {},
): Promise<void> {
  const opts = { atol: tol.atol, rtol: tol.rtol, equalNaN: tol.equalNaN ?? true };
  const grad = options.grad ?? true;
  const wants = inputs.map((t) => grad && isFloatDType(t.dtype));
  const cx = inputs.map((t, i) => (wants[i] ? t.detach().requiresGrad_() : t));
  const gx = inputs.map((t, i) => {
    const g = t.to("webgpu");
    return wants[i] ? g.requiresGrad_() : g;
  });
  const yc = f(...cx);
  const yg = f(...gx);
  expect(yg.device).toBe("webgpu");
  expect(yg.shape).toEqual(yc.shape);
  expect(yg.dtype).toBe(yc.dtype);
  const cpuValues = Array.from(yc.data);
  if (isFloatDType(yc.dtype)) expect(await values(yg)).toBeAllClose(cpuValues, opts);
  else expect(await values(yg)).toEqual(cpuValues);
  if (!wants.some((w) => w) || !isFloatDType(yc.dtype)) return;
  const w = randn([...yc.shape]);
  yc.mul(w).sum().backward();
  yg.mul(w.to("webgpu")).sum().backward();
  for (let i = 0; i < inputs.length; i++) {
    if (!wants[i]) continue;
    const gc = cx[i]!.grad;
    const gg = gx[i]!.grad;
    if (gc === null) {
      expect(gg).toBeNull();
      continue;
    }
    expect(gg!.device).toBe("webgpu");
    expect(await values(gg!)).toBeAllClose(Array.from(gc.data), opts);
  }
}
