import * as T from "@tapegrad/core";
import { bool, fixed, type GradcheckCase, gen, int32, positive, rn } from "./types.js";

function c<K extends T.OpName>(
  op: K,
  name: string,
  build: GradcheckCase["build"],
  options?: GradcheckCase["options"],
): GradcheckCase<K> {
  return { name, op, group: "core", build, ...(options ? { options } : {}) };
}

export const linalgCases = [
  c("matmul", "matmul 2-D [3,4]·[4,2]", () => {
    const g = gen(101);
    return { fn: (a, b) => a.matmul(b), inputs: [rn(g, [3, 4]), rn(g, [4, 2])] };
  }),
  c("matmul", "matmul batched broadcast [2,1,3,4]·[3,4,2]", () => {
    const g = gen(102);
    return { fn: (a, b) => a.matmul(b), inputs: [rn(g, [2, 1, 3, 4]), rn(g, [3, 4, 2])] };
  }),
  c("matmul", "matmul vector·matrix and matrix·vector", () => {
    const g = gen(103);
    return {
      fn: (v, m, w) => [v.matmul(m), m.matmul(w)],
      inputs: [rn(g, [3]), rn(g, [3, 4]), rn(g, [4])],
    };
  }),
  c("matmul", "matmul with a transposed operand", () => {
    const g = gen(104);
    return {
      fn: (a, b) => a.matmul(b.transpose(-2, -1)),
      inputs: [rn(g, [2, 3, 4]), rn(g, [2, 5, 4])],
    };
  }),
  c("linear", "linear [2,3,4] → 5 with bias", () => {
    const g = gen(105);
    return {
      fn: (x, w, b) => T.linear(x, w, b),
      inputs: [rn(g, [2, 3, 4]), rn(g, [5, 4]), rn(g, [5])],
    };
  }),
  c("linear", "linear with a fused gelu, and with a fused relu", () => {
    const g = gen(107);
    return {
      fn: (x, w, b) => [T.linear(x, w, b, "gelu"), T.linear(x, w, b, "relu")],
      inputs: [rn(g, [3, 4]), rn(g, [5, 4]), rn(g, [5])],
    };
  }),
  c("linear", "linear 1-D input, no bias", () => {
    const g = gen(106);
    return { fn: (x, w) => T.linear(x, w), inputs: [rn(g, [4]), rn(g, [3, 4])] };
  }),
] satisfies readonly GradcheckCase[];

export const nnCases = [
  c("attention", "attention 2 heads, L 3 ≠ S 4, float key mask, weights used", () => {
    const g = gen(116);
    const mask = rn(g, [2, 1, 1, 4], { grad: false });
    return {
      fn: (q, k, v) =>
        T.attention(q, k, v, { numHeads: 2, mask, needWeights: true }) as [T.Tensor, T.Tensor],
      inputs: [rn(g, [2, 3, 4]), rn(g, [2, 4, 4]), rn(g, [2, 4, 6])],
    };
  }),
  c("attentionPacked", "attentionPacked [2,3,3·6] 3 heads, float mask, weights used", () => {
    const g = gen(118);
    const mask = rn(g, [3, 3], { grad: false });
    return {
      fn: (qkv) =>
        T.attentionPacked(qkv, { numHeads: 3, mask, needWeights: true }) as [T.Tensor, T.Tensor],
      inputs: [rn(g, [2, 3, 18])],
    };
  }),
  c("attention", "attention causal with a bool mask, one query fully masked", () => {
    const g = gen(117);
    const mask = bool([1, 1, 1, 0, 0, 1, 0, 0, 0], [3, 3]);
    return {
      fn: (q, k, v) => T.attention(q, k, v, { numHeads: 3, mask, causal: true })[0]!,
      inputs: [rn(g, [1, 3, 6]), rn(g, [1, 3, 6]), rn(g, [1, 3, 3])],
    };
  }),
  c("softmax", "softmax dim -1", () => ({
    fn: (x) => x.softmax(-1),
    inputs: [rn(gen(111), [2, 3, 4])],
  })),
  c("softmax", "softmax dim 0 with -inf entries", () => {
    const m = () => bool([1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], [3, 4]);
    return { fn: (x) => x.maskedFill(m(), -Infinity).softmax(0), inputs: [rn(gen(112), [3, 4])] };
  }),
  c("softmax", "softmax with a fully masked row (zeros, zero gradient)", () => {
    const m = () => bool([0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 0, 0], [3, 4]);
    return { fn: (x) => x.maskedFill(m(), -Infinity).softmax(-1), inputs: [rn(gen(113), [3, 4])] };
  }),
  c("logSoftmax", "logSoftmax dim 1", () => ({
    fn: (x) => x.logSoftmax(1),
    inputs: [rn(gen(114), [2, 3, 4])],
  })),
  c("logSoftmax", "logSoftmax large values dim -1", () => ({
    fn: (x) => x.logSoftmax(-1),
    inputs: [rn(gen(115), [3, 5], { shift: 300 })],
  })),
  c("maskedFill", "maskedFill broadcast mask [3,1]", () => {
    const m = () => bool([1, 0, 1], [3, 1]);
    return { fn: (x) => x.maskedFill(m(), 2.5).square(), inputs: [rn(gen(116), [2, 3, 4])] };
  }),
  c("embedding", "embedding grad w.r.t. weight, repeated indices", () => {
    const idx = () => int32([1, 3, 1, 0, 3, 3], [2, 3]);
    return { fn: (w) => T.embedding(idx(), w).square(), inputs: [rn(gen(117), [5, 3])] };
  }),
  // The padding row gets no gradient by design (PyTorch too), so finite differences would
  // disagree there: it is a constant, and only the other rows are checked.
  c("embedding", "embedding with paddingIdx (other rows checked)", () => {
    const idx = () => int32([2, 0, 2, 4, 1], [5]);
    const g = gen(118);
    const pad = rn(g, [1, 3], { grad: false });
    return {
      fn: (top, bottom) =>
        T.embedding(idx(), T.concat([top, fixed(pad, top), bottom]), { paddingIdx: 2 }).square(),
      inputs: [rn(g, [2, 3]), rn(g, [2, 3])],
    };
  }),
  // A fresh generator per call: every evaluation draws the same mask, so finite differences hold.
  c("dropout", "dropout p 0.4 (fixed mask)", () => ({
    fn: (x) => T.dropout(x, 0.4, true, new T.Generator(7)),
    inputs: [rn(gen(119), [3, 5])],
  })),
] satisfies readonly GradcheckCase[];

export const lossCases = [
  c("nllLoss", "nllLoss mean over logSoftmax", () => {
    const t = () => int32([0, 3, 2], [3]);
    return { fn: (x) => T.nllLoss(x.logSoftmax(1), t()), inputs: [rn(gen(121), [3, 4])] };
  }),
  c("nllLoss", "nllLoss (N,C,d) class weights, ignoreIndex, sum", () => {
    const t = () => int32([0, 2, -100, 1, 1, 0], [2, 3]);
    const w = [0.5, 2, 1];
    return {
      fn: (x) =>
        T.nllLoss(x, t(), {
          weight: T.tensor(w, { dtype: x.dtype }),
          ignoreIndex: -100,
          reduction: "sum",
        }),
      inputs: [rn(gen(122), [2, 3, 3])],
    };
  }),
  c("nllLoss", "nllLoss reduction none", () => {
    const t = () => int32([1, 0], [2]);
    return { fn: (x) => T.nllLoss(x, t(), { reduction: "none" }), inputs: [rn(gen(123), [2, 3])] };
  }),
  c("crossEntropy", "crossEntropy class indices, weights, label smoothing", () => {
    const t = () => int32([0, 3, 2], [3]);
    const w = [1, 0.5, 2, 1.5];
    return {
      fn: (x) =>
        T.crossEntropy(x, t(), { weight: T.tensor(w, { dtype: x.dtype }), labelSmoothing: 0.1 }),
      inputs: [rn(gen(124), [3, 4])],
    };
  }),
  c("crossEntropy", "crossEntropy (N,C,d) ignoreIndex, reduction none", () => {
    const t = () => int32([2, -1, 0, 1], [2, 2]);
    return {
      fn: (x) => T.crossEntropy(x, t(), { ignoreIndex: -1, reduction: "none" }),
      inputs: [rn(gen(125), [2, 3, 2])],
    };
  }),
  c("crossEntropy", "crossEntropy probability targets (grad to logits and target)", () => {
    const g = gen(126);
    const p = positive(g, [3, 4]);
    return {
      fn: (x, q) => T.crossEntropy(x, q.div(q.sum(1, true))),
      inputs: [rn(g, [3, 4]), p],
    };
  }),
  c("mseLoss", "mseLoss mean, broadcast target", () => {
    const g = gen(127);
    return { fn: (a, b) => T.mseLoss(a, b), inputs: [rn(g, [2, 3, 4]), rn(g, [3, 1])] };
  }),
  c("mseLoss", "mseLoss sum and none", () => {
    const g = gen(128);
    return {
      fn: (a, b) => [T.mseLoss(a, b, { reduction: "sum" }), T.mseLoss(a, b, { reduction: "none" })],
      inputs: [rn(g, [2, 3]), rn(g, [2, 3])],
    };
  }),
] satisfies readonly GradcheckCase[];
