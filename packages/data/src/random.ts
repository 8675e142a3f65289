import type { Generator } from "@tapegrad/core";

/**
 * A random permutation of 0..n−1: Fisher–Yates from the last position down, one
 * `generator.randint` per position. Only integer and exact floating-point steps, so a seed gives
 * the same order on every machine and JavaScript engine.
 */
export function randperm(n: number, generator: Generator): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = generator.randint(0, i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * Sampling by weight through a Fenwick tree of the weights: each draw is one uniform number
 * and a descent of the tree, O(log n); without replacement a drawn weight is set to zero.
 * Sums and comparisons only (no logarithms or powers, whose last bits differ between engines).
 */
export function sampleWeighted(
  weights: ArrayLike<number>,
  count: number,
  replacement: boolean,
  generator: Generator,
): Int32Array {
  const n = weights.length;
  const tree = new Float64Array(n + 1);
  const w = Float64Array.from(weights);
  for (let i = 0; i < n; i++) {
    for (let k = i + 1; k <= n; k += k & -k) tree[k]! += w[i]!;
  }
  let top = 1;
  while (top * 2 <= n) top *= 2;
  let total = 0;
  for (let i = 0; i < n; i++) total += w[i]!;
  const out = new Int32Array(count);
  for (let s = 0; s < count; s++) {
    // The smallest index whose running sum exceeds u.
    let u = generator.random() * total;
    let pos = 0;
    for (let step = top; step > 0; step >>= 1) {
      const next = pos + step;
      if (next <= n && tree[next]! <= u) {
        pos = next;
        u -= tree[next]!;
      }
    }
    // Rounding can walk past the last positive weight; step back onto it.
    let pick = Math.min(pos, n - 1);
    while (w[pick] === 0 && pick > 0) pick--;
    out[s] = pick;
    if (!replacement) {
      const v = w[pick]!;
      w[pick] = 0;
      total -= v;
      for (let k = pick + 1; k <= n; k += k & -k) tree[k]! -= v;
    }
  }
  return out;
}
