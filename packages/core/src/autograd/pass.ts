/**
 * One backward pass's state, and who keeps a gradient's values: a pending slot, a leaf's `.grad`
 * or a grad() capture. What none of them keeps any longer the pass lets go of; its memory then
 * goes back to be reused at once (see `letGo`).
 */
import { recycleArray } from "../array-pool.js";
import { copyToFresh, type FloatArray } from "../dtype.js";
import { clone } from "../ops/cast.js";
import { Tensor } from "../tensor.js";
import type { Node } from "./node.js";
import { accumulate } from "./tensor-math.js";

export interface Pass {
  retain: boolean;
  create: boolean;
  /** Leaves to accumulate into (null: every leaf reached). */
  leafTargets: Set<Tensor> | null;
  /** grad(): gradients are captured here per target instead of going to `.grad`. */
  capture: Map<Tensor, Tensor> | null;
  /** Non-leaf targets, by producer node: the output indices whose gradient is captured. */
  nodeTargets: Map<Node, Tensor[]>;
  fresh: WeakSet<object>;
  /** Values (arrays, device storages) kept past the pass: a leaf's `.grad` or a capture. */
  handed: Set<object>;
  /**
   * Values a rule that may keep its gradients saw (a user's op without `transientGradients`):
   * the pass never reuses their memory.
   */
  kept: Set<object>;
  /** How many pending slots hold each gradient's values. */
  live: Map<object, number>;
}

/** A pending slot now holds `t`. */
export function hold(pass: Pass, t: Tensor): void {
  const k = t._valuesKey;
  pass.live.set(k, (pass.live.get(k) ?? 0) + 1);
}

/**
 * The pass is done with `t` (`held`: a slot that held it was consumed). A gradient made during
 * this pass that no slot, leaf or capture holds any longer, and that no rule may have kept, gives
 * its memory back now instead of when the collector finds it: a device buffer to the device's
 * pool, a CPU array to array-pool.ts. The next kernels (the rest of this backward, the next
 * step's forward) reuse them. Under createGraph nothing is given back: the new graph may hold it.
 */
export function letGo(pass: Pass, t: Tensor, held: boolean): void {
  const k = t._valuesKey;
  const n = (pass.live.get(k) ?? 0) - (held ? 1 : 0);
  if (n > 0) {
    pass.live.set(k, n);
    return;
  }
  pass.live.delete(k);
  if (pass.create || !pass.fresh.has(k) || pass.handed.has(k) || pass.kept.has(k)) return;
  const storage = t._deviceStorage;
  if (storage === null) recycleArray(t.data);
  else storage.release?.();
}

export function newPass(options: { retainGraph?: boolean; createGraph?: boolean }): Pass {
  const create = options.createGraph === true;
  return {
    retain: options.retainGraph ?? create,
    create,
    leafTargets: null,
    capture: null,
    nodeTargets: new Map(),
    fresh: new WeakSet(),
    handed: new Set(),
    kept: new Set(),
    live: new Map(),
  };
}

/**
 * A leaf's gradient: added to `.grad` (a new tensor each time, never in place), or captured for
 * grad(). Without createGraph the first gradient is stored as it is only when its buffer (a CPU
 * array or a device storage) was allocated during this backward and not handed to any other leaf;
 * otherwise it is copied, so a `.grad` never aliases another tensor's data.
 */
export function deliverLeaf(leaf: Tensor, g: Tensor, pass: Pass): void {
  if (pass.capture !== null) {
    const prev = pass.capture.get(leaf);
    const kept = prev === undefined ? g : accumulate(prev, g);
    pass.capture.set(leaf, kept);
    pass.handed.add(kept._valuesKey);
    return;
  }
  if (pass.leafTargets !== null && !pass.leafTargets.has(leaf)) return;
  if (leaf.grad !== null) {
    leaf.grad = accumulate(leaf.grad, g);
  } else if (pass.create) {
    leaf.grad = g;
  } else if (pass.fresh.has(g._valuesKey) && !pass.handed.has(g._valuesKey)) {
    // The values of a CPU array or a device storage made during this pass, given to no leaf yet.
    pass.handed.add(g._valuesKey);
    leaf.grad = g.isLeaf ? g : new Tensor(g._deviceStorage ?? g.data, g.shape, g.dtype);
  } else if (g.device !== "cpu") {
    leaf.grad = clone(g).detach();
  } else {
    leaf.grad = new Tensor(copyToFresh(g.data as FloatArray), g.shape, g.dtype);
  }
}
