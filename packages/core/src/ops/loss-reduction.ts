import { broadcastShapes, fmtShape, shapesEqual } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { Reduction } from "./loss.js";
import { assertFloat, assertTensor } from "./util.js";

/** What the composed losses share: PyTorch's reductions and the checks at their boundary. */

/** The reduction option, checked against the ones the loss accepts; "mean" by default. */
export function reductionOf<R extends string = Reduction>(
  op: string,
  reduction: R | undefined,
  allowed: readonly R[] = ["mean", "sum", "none"] as unknown as readonly R[],
): R {
  const r = reduction ?? ("mean" as R);
  if (!allowed.includes(r)) {
    const names = allowed.map((a) => `"${a}"`);
    const list = `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;
    throw new Error(`${op}: reduction must be ${list}, got ${String(reduction)}`);
  }
  return r;
}

/** The per-element loss reduced as asked: "mean" over every element (NaN when empty), "sum", or kept. */
export function applyReduction(per: Tensor, reduction: Reduction): Tensor {
  if (reduction === "none") return per;
  return reduction === "sum" ? per.sum() : per.mean();
}

/** A float tensor argument of a loss. */
export function floatArg(op: string, arg: string, t: unknown): asserts t is Tensor {
  assertTensor(op, arg, t);
  assertFloat(op, arg, t);
}

/** The shape two arguments broadcast to, or an error naming both. */
export function broadcastArgs(
  op: string,
  aName: string,
  a: Tensor,
  bName: string,
  b: Tensor,
): number[] {
  try {
    return broadcastShapes(op, a.shape, b.shape);
  } catch {
    throw new Error(
      `${op}: ${aName} of shape ${fmtShape(a.shape)} and ${bName} of shape ${fmtShape(b.shape)} ` +
        "cannot be broadcast together",
    );
  }
}

/** An optional argument (a weight) that must broadcast to `shape` without growing it. */
export function checkBroadcastsTo(
  op: string,
  arg: string,
  t: Tensor,
  shapeName: string,
  shape: readonly number[],
): void {
  let fits = false;
  try {
    fits = shapesEqual(broadcastShapes(op, shape, t.shape), shape);
  } catch {
    fits = false;
  }
  if (!fits) {
    throw new Error(
      `${op}: ${arg} of shape ${fmtShape(t.shape)} does not broadcast to ${shapeName} ` +
        fmtShape(shape),
    );
  }
}

/** Two arguments that must have the same shape, as PyTorch insists for the binary losses. */
export function checkSameShape(
  op: string,
  aName: string,
  a: Tensor,
  bName: string,
  b: Tensor,
): void {
  if (!shapesEqual(a.shape, b.shape)) {
    throw new Error(
      `${op}: ${bName} of shape ${fmtShape(b.shape)} must have the same shape as ${aName} ` +
        fmtShape(a.shape),
    );
  }
}

/** A numeric option, finite or infinite but not NaN. */
export function numberArg(op: string, arg: string, v: unknown): asserts v is number {
  if (typeof v !== "number" || Number.isNaN(v)) {
    throw new Error(`${op}: ${arg} must be a number, got ${typeof v === "number" ? v : typeof v}`);
  }
}
