import { trackFreshArrays } from "../dtype.js";
import { add } from "../ops/binary.js";
import { sumToShape } from "../ops/reduce.js";
import { fmtShape, shapesEqual } from "../shape.js";
import { Tensor } from "../tensor.js";
import { noGrad } from "./grad-mode.js";
import type { Node } from "./node.js";

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again. Default false. */
  retainGraph?: boolean;
}

function onesLikeOf(t: Tensor): Tensor {
  const g = Tensor._empty(t.shape, t.dtype);
  g.data.fill(1);
  return g;
}

function zerosOf(meta: { shape: readonly number[]; dtype: Tensor["dtype"] }): Tensor {
  return Tensor._empty(meta.shape, meta.dtype);
}

function copyOf(t: Tensor): Tensor {
  return new Tensor(t.data.slice(), t.shape, t.dtype);
}

/**
 * Accumulate into a leaf's .grad (a new tensor each time, never in place). The first gradient is
 * stored as it is only when its buffer was allocated during this backward and not handed to any
 * other leaf; otherwise it is copied, so `.grad` never aliases another tensor's data.
 */
function accumulateLeaf(
  leaf: Tensor,
  g: Tensor,
  fresh: WeakSet<object>,
  handed: Set<object>,
): void {
  if (leaf.grad !== null) {
    leaf.grad = add(leaf.grad, g);
  } else if (fresh.has(g.data) && !handed.has(g.data)) {
    handed.add(g.data);
    leaf.grad = g.isLeaf ? g : new Tensor(g.data, g.shape, g.dtype);
  } else {
    leaf.grad = copyOf(g);
  }
}

/** Collect the nodes on a path to `root`, ordered newest first (the tape, replayed backwards). */
function collectNodes(root: Node): Node[] {
  const seen = new Set<Node>([root]);
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    for (const input of node.inputs) {
      const n = input._node;
      if (n !== null && !seen.has(n)) {
        seen.add(n);
        stack.push(n);
      }
    }
  }
  return [...seen].sort((a, b) => b.id - a.id);
}

/** Fit a rule's gradient to its input: sum out broadcast dims, then insist on shape and dtype. */
function fitGradient(node: Node, index: number, input: Tensor, g: Tensor): Tensor {
  let out = g;
  if (!shapesEqual(out.shape, input.shape)) {
    try {
      out = sumToShape(out, input.shape);
    } catch {
      out = g; // reported below with the rule's name
    }
  }
  if (!shapesEqual(out.shape, input.shape) || out.dtype !== input.dtype) {
    throw new Error(
      `backward: rule '${node.name}' returned a gradient of shape ${fmtShape(g.shape)} ` +
        `(${g.dtype}) for input ${index} of shape ${fmtShape(input.shape)} (${input.dtype})`,
    );
  }
  return out;
}

/** Reverse-mode backward from `root` with upstream gradient `gradient` (ones for a scalar). */
export function backward(root: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error(
      `backward: tensor of shape ${fmtShape(root.shape)} does not require grad and has no ` +
        "grad_fn; set requiresGrad on an input it was computed from",
    );
  }
  let seed: Tensor;
  if (gradient === undefined) {
    if (root.size !== 1) {
      throw new Error(
        `backward: a gradient can be implied only for a one-element output; got shape ` +
          `${fmtShape(root.shape)} — pass the upstream gradient explicitly`,
      );
    }
    seed = onesLikeOf(root);
  } else {
    if (!shapesEqual(gradient.shape, root.shape)) {
      throw new Error(
        `backward: gradient of shape ${fmtShape(gradient.shape)} does not match the output's ` +
          `shape ${fmtShape(root.shape)}`,
      );
    }
    seed =
      gradient.dtype === root.dtype ? gradient.detach() : noGrad(() => gradient.to(root.dtype));
  }
  const retain = options.retainGraph === true;
  noGrad(() =>
    trackFreshArrays((fresh) => {
      const handed = new Set<object>();
      const rootNode = root._node;
      if (rootNode === null) {
        accumulateLeaf(root, seed, fresh, handed);
        return;
      }
      const pending = new Map<Node, (Tensor | undefined)[]>();
      pending.set(rootNode, []);
      pending.get(rootNode)![root._outputIndex] = seed;
      const released: Node[] = [];
      let current: Node = rootNode;
      try {
        for (const node of collectNodes(rootNode)) {
          current = node;
          // A node no gradient reached is left intact, for another root's backward.
          if (!runNode(node, pending, fresh, handed)) continue;
          if (!retain) {
            node.release();
            released.push(node);
          }
        }
      } catch (e) {
        // Nodes already passed are freed; a retry would only say "freed". Say why instead.
        const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
        for (const node of released) node.releasedByFailure(current.name, message);
        throw e;
      }
    }),
  );
}

/**
 * Run one node's rule and route each input's gradient to its producer or into the leaf. False
 * when no gradient reached the node.
 */
function runNode(
  node: Node,
  pending: Map<Node, (Tensor | undefined)[]>,
  fresh: WeakSet<object>,
  handed: Set<object>,
): boolean {
  const slots = pending.get(node);
  if (slots === undefined) return false;
  pending.delete(node);
  const grads = node.outputs.map((meta, i) => slots[i] ?? zerosOf(meta));
  const inputs = node.inputs;
  const inputGrads = node.runBackward(grads);
  for (let i = 0; i < inputs.length; i++) {
    if (!node.needsGrad[i]) continue;
    const g = inputGrads[i];
    if (g === null || g === undefined) continue;
    const input = inputs[i]!;
    const fitted = fitGradient(node, i, input, g);
    const producer = input._node;
    if (producer === null) {
      accumulateLeaf(input, fitted, fresh, handed);
    } else {
      let s = pending.get(producer);
      if (s === undefined) {
        s = [];
        pending.set(producer, s);
      }
      const prev = s[input._outputIndex];
      s[input._outputIndex] = prev === undefined ? fitted : add(prev, fitted);
    }
  }
  return true;
}
