import { full } from "../creation.js";
import { trackFreshArrays } from "../dtype.js";
import { fmtShape, shapesEqual } from "../shape.js";
import { isTensor, Tensor } from "../tensor.js";
import { enableGrad, noGrad } from "./grad-mode.js";
import type { Node } from "./node.js";
import { deliverLeaf, hold, letGo, newPass, type Pass } from "./pass.js";
import { accumulate, alias, fitTo } from "./tensor-math.js";

export interface BackwardOptions {
  /** Keep the graph so backward can run through it again. Default: `createGraph`. */
  retainGraph?: boolean;
  /**
   * Record the backward itself, so the gradients are tensors with a graph of their own and can
   * be differentiated again (Hessian-vector products, gradient penalties). Default false.
   */
  createGraph?: boolean;
  /** Accumulate only into these leaves (torch's `inputs=`); the rest of the graph is skipped. */
  inputs?: readonly Tensor[];
}

export interface GradOptions {
  /** The upstream gradient of each output (ones for a one-element output when omitted). */
  gradOutputs?: Tensor | readonly (Tensor | null | undefined)[] | null;
  /** Keep the graph for another backward. Default: `createGraph`. */
  retainGraph?: boolean;
  /** Record the backward, so the returned gradients can be differentiated again. */
  createGraph?: boolean;
  /** An input no output depends on gets null instead of an error. Default false. */
  allowUnused?: boolean;
}

/** Collect the nodes on a path to any root, ordered newest first (the tape, replayed backwards). */
function collectNodes(roots: readonly Node[]): Node[] {
  const seen = new Set<Node>(roots);
  const stack = [...roots];
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

/**
 * With targets, the nodes whose rule can reach one: a node runs when one of its inputs is a leaf
 * target or comes from a node that runs or produced a target. Oldest first, so producers are
 * decided before their consumers.
 */
function nodesReachingTargets(nodes: readonly Node[], pass: Pass): Set<Node> {
  const runs = new Set<Node>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const feeds = node.inputs.some((t) => {
      const p = t._node;
      if (p === null) return pass.leafTargets?.has(t) ?? false;
      return runs.has(p) || pass.nodeTargets.has(p);
    });
    if (feeds) runs.add(node);
  }
  return runs;
}

/** Fit a rule's gradient to its input: sum out broadcast dims, cast, and insist on the shape. */
function fitGradient(node: Node, index: number, input: Tensor, g: Tensor): Tensor {
  const out = fitTo(g, input.shape, input.dtype);
  if (out === null || !shapesEqual(out.shape, input.shape)) {
    throw new Error(
      `backward: rule '${node.name}' returned a gradient of shape ${fmtShape(g.shape)} ` +
        `(${g.dtype}) for input ${index} of shape ${fmtShape(input.shape)} (${input.dtype})`,
    );
  }
  return out;
}

/**
 * Run one node's rule and route each input's gradient to its producer or to the leaf. The
 * engine owns broadcasting and dtype (PyTorch's validate_outputs): a rule may return a gradient
 * of any shape that broadcasts to its input's, in any float dtype.
 */
function runNode(
  node: Node,
  slots: (Tensor | undefined)[],
  pending: Map<Node, (Tensor | undefined)[]>,
  pass: Pass,
): void {
  const grads = node.outputs.map(
    (meta, i) =>
      slots[i] ??
      (meta.device === "cpu"
        ? Tensor._empty(meta.shape, meta.dtype)
        : full(meta.shape, 0, { dtype: meta.dtype, device: meta.device })),
  );
  const inputs = node.inputs;
  const inputGrads =
    pass.create && node.recompose !== null
      ? recomposedGradients(node, grads)
      : node.runBackward(grads, pass.create);
  if (!node.transientGradients) keepAll(pass, grads, inputGrads);
  // What the pass is done with is let go only after every gradient has been routed: the same
  // values may reach more than one input.
  const done: Tensor[] = [];
  const consumed: Tensor[] = [];
  for (let i = 0; i < inputs.length; i++) {
    if (!node.needsGrad[i]) continue;
    const g = inputGrads[i];
    if (g === null || g === undefined) continue;
    const input = inputs[i]!;
    const fitted = fitGradient(node, i, input, g);
    if (fitted._valuesKey !== g._valuesKey) done.push(g);
    const producer = input._node;
    if (producer === null) {
      deliverLeaf(input, fitted, pass);
      done.push(fitted); // let go of unless the leaf kept it
    } else {
      let s = pending.get(producer);
      if (s === undefined) {
        s = [];
        pending.set(producer, s);
      }
      const prev = s[input._outputIndex];
      const next = prev === undefined ? fitted : accumulate(prev, fitted);
      s[input._outputIndex] = next;
      hold(pass, next);
      if (prev !== undefined) {
        consumed.push(prev);
        done.push(fitted);
      }
    }
  }
  // This node's own gradients: each slot held one; a zero placeholder was held by none.
  grads.forEach((g, i) => {
    if (slots[i] === undefined) done.push(g);
    else consumed.push(g);
  });
  for (const t of consumed) letGo(pass, t, true);
  for (const t of done) letGo(pass, t, false);
}

/** A rule that may keep its gradients saw these: their memory is never reused by the pass. */
function keepAll(pass: Pass, grads: Tensor[], inputGrads: readonly (Tensor | null | undefined)[]) {
  for (const g of grads) pass.kept.add(g._valuesKey);
  for (const g of inputGrads) if (g !== null && g !== undefined) pass.kept.add(g._valuesKey);
}

/**
 * A fused op's gradients under createGraph: its composed equivalent is run again (recorded) and
 * differentiated with a graph, so the result can be differentiated again. It runs on aliases of
 * the inputs — each a recorded view of its input — so the nested grad() stops there: an input
 * that itself depends on another input (an RNN's h on its W) must not pass gradient on to it a
 * second time. Through the aliases the gradients stay connected to the real inputs.
 */
function recomposedGradients(node: Node, grads: Tensor[]): (Tensor | null)[] {
  if (node.released) node.runBackward(grads, true); // throws the "graph freed" error
  const inputs = node.inputs;
  const aliases = inputs.map((t, i) => (node.needsGrad[i] ? alias(t) : t));
  const outs = node.recompose!(aliases);
  const targets = aliases.filter((_, i) => node.needsGrad[i]);
  const used = outs.map((o, k) => [o, grads[k]!] as const).filter(([o]) => o.requiresGrad);
  const gs =
    used.length === 0 || targets.length === 0
      ? []
      : grad(
          used.map(([o]) => o),
          targets,
          { gradOutputs: used.map(([, g]) => g), createGraph: true, allowUnused: true },
        );
  let k = 0;
  return inputs.map((_, i) => (node.needsGrad[i] ? (gs[k++] ?? null) : null));
}

/** The backward pass over everything the roots depend on, seeded with `seeds`. */
function runPass(roots: readonly Tensor[], seeds: readonly Tensor[], pass: Pass): void {
  const run = () =>
    trackFreshArrays((fresh) => {
      pass.fresh = fresh;
      const pending = new Map<Node, (Tensor | undefined)[]>();
      const rootNodes: Node[] = [];
      roots.forEach((root, k) => {
        const seed = seeds[k]!;
        const node = root._node;
        if (node === null) {
          deliverLeaf(root, seed, pass);
          return;
        }
        let s = pending.get(node);
        if (s === undefined) {
          s = [];
          pending.set(node, s);
          rootNodes.push(node);
        }
        const prev = s[root._outputIndex];
        const next = prev === undefined ? seed : accumulate(prev, seed);
        s[root._outputIndex] = next;
        hold(pass, next);
        if (prev !== undefined) letGo(pass, prev, true);
      });
      const nodes = collectNodes(rootNodes);
      const pruned = pass.leafTargets !== null || pass.nodeTargets.size > 0;
      const runs = pruned ? nodesReachingTargets(nodes, pass) : null;
      const released: Node[] = [];
      let current: Node | null = null;
      try {
        for (const node of nodes) {
          current = node;
          const slots = pending.get(node);
          // A node no gradient reached is left intact, for another root's backward.
          if (slots === undefined) continue;
          pending.delete(node);
          for (const t of pass.nodeTargets.get(node) ?? []) {
            const g = slots[t._outputIndex];
            if (g !== undefined) {
              pass.capture!.set(t, g);
              pass.handed.add(g._valuesKey);
            }
          }
          if (runs !== null && !runs.has(node)) continue;
          runNode(node, slots, pending, pass);
          if (!pass.retain) {
            node.release(!pass.create);
            released.push(node);
          }
        }
      } catch (e) {
        // Nodes already passed are freed; a retry would only say "freed". Say why instead.
        const message = e instanceof Error ? e.message.split("\n")[0]! : String(e);
        for (const node of released) node.releasedByFailure(current!.name, message);
        throw e;
      }
    });
  // With createGraph the rules' own ops are recorded; otherwise nothing is.
  if (pass.create) enableGrad(run);
  else noGrad(run);
}

/** The seed for `root`: the given gradient (checked, cast) or ones for a one-element output. */
function seedFor(op: string, root: Tensor, gradient: Tensor | null | undefined): Tensor {
  if (gradient === undefined || gradient === null) {
    if (root.size !== 1) {
      throw new Error(
        `${op}: a gradient can be implied only for a one-element output; got shape ` +
          `${fmtShape(root.shape)} — pass the upstream gradient explicitly`,
      );
    }
    if (root.device !== "cpu")
      return full(root.shape, 1, { dtype: root.dtype, device: root.device });
    const g = Tensor._empty(root.shape, root.dtype);
    g.data.fill(1);
    return g;
  }
  if (!isTensor(gradient)) {
    throw new Error(`${op}: the upstream gradient must be a Tensor, got ${typeof gradient}`);
  }
  if (!shapesEqual(gradient.shape, root.shape)) {
    throw new Error(
      `${op}: gradient of shape ${fmtShape(gradient.shape)} does not match the output's ` +
        `shape ${fmtShape(root.shape)}`,
    );
  }
  if (gradient.dtype === root.dtype) return gradient;
  return noGrad(() => gradient.to(root.dtype));
}

function requireGrad(op: string, t: Tensor, what: string): void {
  if (!t.requiresGrad) {
    throw new Error(
      `${op}: ${what} of shape ${fmtShape(t.shape)} does not require grad and has no grad_fn; ` +
        "set requiresGrad on an input it was computed from",
    );
  }
}

/** Reverse-mode backward from `root` with upstream gradient `gradient` (ones for a scalar). */
export function backward(root: Tensor, gradient?: Tensor, options: BackwardOptions = {}): void {
  requireGrad("backward", root, "tensor");
  const seed = seedFor("backward", root, gradient);
  const pass = newPass(options);
  if (options.inputs !== undefined) {
    pass.leafTargets = new Set(options.inputs);
    for (const t of options.inputs) {
      if (!t.isLeaf) {
        throw new Error(
          `backward: inputs must be leaf tensors (for a non-leaf tensor use grad()), got one of shape ${fmtShape(t.shape)} made by '${t.gradFn}'`,
        );
      }
    }
  }
  runPass([root], [pass.create ? seed : seed.detach()], pass);
}

/**
 * The gradients of `outputs` with respect to `inputs`, as torch.autograd.grad: returned rather
 * than accumulated into `.grad`. With `createGraph` they carry a graph of their own, so
 * `grad(grad(f(x), x)[0].sum(), x)` is a second derivative.
 */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  options: GradOptions = {},
): (Tensor | null)[] {
  const outs = isTensor(outputs) ? [outputs] : [...outputs];
  const ins = isTensor(inputs) ? [inputs] : [...inputs];
  if (outs.length === 0) throw new Error("grad: no outputs given");
  const given = options.gradOutputs;
  const gradOuts: (Tensor | null | undefined)[] =
    given === undefined || given === null
      ? outs.map(() => undefined)
      : isTensor(given)
        ? [given]
        : [...given];
  if (gradOuts.length !== outs.length) {
    throw new Error(
      `grad: ${gradOuts.length} gradOutputs for ${outs.length} outputs; give one per output`,
    );
  }
  outs.forEach((o, k) => {
    requireGrad("grad", o, `output ${k}`);
  });
  ins.forEach((t, k) => {
    if (!isTensor(t)) throw new Error(`grad: input ${k} is not a Tensor`);
    requireGrad("grad", t, `input ${k}`);
  });
  const pass = newPass(options);
  pass.capture = new Map();
  pass.leafTargets = new Set(ins.filter((t) => t.isLeaf));
  for (const t of ins) {
    const p = t._node;
    if (p !== null) pass.nodeTargets.set(p, [...(pass.nodeTargets.get(p) ?? []), t]);
  }
  const seeds = outs.map((o, k) => seedFor("grad", o, gradOuts[k]));
  runPass(outs, seeds, pass);
  return ins.map((t, k) => {
    const g = pass.capture!.get(t);
    if (g !== undefined) return g;
    if (options.allowUnused) return null;
    throw new Error(
      `grad: input ${k} (shape ${fmtShape(t.shape)}) was not used to compute the outputs; ` +
        "pass allowUnused: true to get null for it",
    );
  });
}
