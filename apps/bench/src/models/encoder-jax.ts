/**
 * The reference encoder in jax-js (`@jax-js/jax`, WebAssembly backend), trained with
 * `jit(valueAndGrad(loss))` and a jitted Adam, from the same initial weights and batch as
 * tapegrad. Written the way jax-js runs on Node 20: attention as matmul + softmax (its fused
 * `dotProductAttention` needs Node 22), and the embedding as a one-hot matmul (the gradient of a
 * gather is rejected under `jit`).
 */
import { loadPeers } from "../peers.js";
import type { EncoderConfig } from "./encoder-config.js";
import type { InitialWeight } from "./encoder-tfjs.js";

// jax-js arrays are reference-counted: passing one to an op consumes it, `.ref` keeps it.
// biome-ignore lint/suspicious/noExplicitAny: jax-js's Array type is generic over trees.
type Arr = any;

export interface JaxStep {
  /** One training step; resolves to the loss before the update. */
  step(): Promise<number>;
  dispose(): void;
}

export async function makeJaxStep(
  c: EncoderConfig,
  weights: readonly InitialWeight[],
  tokens: Int32Array,
  labels: Int32Array,
): Promise<JaxStep> {
  const { jax } = await loadPeers();
  const { numpy: np, nn, jit, valueAndGrad, tree } = jax;

  const [B, L, D, H] = [c.batch, c.seqLen, c.dModel, c.heads];
  const Dh = D / H;
  const names: string[] = [];
  let params: Arr[] = [];
  for (const w of weights) {
    names.push(w.name);
    let data = w.data;
    let shape = w.shape;
    // Linear weights are [out, in] (PyTorch's layout): store them as [in, out] for x·W.
    if (shape.length === 2 && !w.name.startsWith("embed.") && !w.name.startsWith("pos.")) {
      const [o, i] = shape as [number, number];
      const t = new Float32Array(o * i);
      for (let r = 0; r < o; r++) for (let q = 0; q < i; q++) t[q * o + r] = data[r * i + q]!;
      data = t;
      shape = [i, o];
    }
    params.push(np.array(data, { shape }));
  }
  const index = new Map(names.map((n, i) => [n, i]));
  const at = (ps: Arr[], name: string): Arr => {
    const i = index.get(name);
    if (i === undefined) throw new Error(`encoder-jax: no weight named ${name}`);
    return ps[i].ref;
  };

  const layerNorm = (x: Arr, g: Arr, b: Arr) =>
    nn.standardize(x, -1, { epsilon: c.eps }).mul(g).add(b);
  const heads = (t: Arr) => np.transpose(t.reshape([B, L, H, Dh]), [0, 2, 1, 3]);

  const loss = (ps: Arr[], tok: Arr, target: Arr) => {
    const e = np.matmul(nn.oneHot(tok, c.vocab), at(ps, "embed.weight")); // [B·L, D]
    let x = e
      .reshape([B, L, D])
      .add(at(ps, "pos.weight"))
      .reshape([B * L, D]);
    for (let l = 0; l < c.layers; l++) {
      const p = (n: string) => at(ps, `layers.${l}.${n}`);
      const h = layerNorm(x.ref, p("norm1.weight"), p("norm1.bias"));
      const qkv = np.matmul(h, p("self_attn.in_proj_weight")).add(p("self_attn.in_proj_bias"));
      const [q, k, v] = np.split(qkv, 3, 1).map(heads) as [Arr, Arr, Arr];
      const scores = np.matmul(q, np.transpose(k, [0, 1, 3, 2])).mul(1 / Math.sqrt(Dh));
      const o = np.transpose(np.matmul(nn.softmax(scores, -1), v), [0, 2, 1, 3]);
      const attn = np
        .matmul(o.reshape([B * L, D]), p("self_attn.out_proj.weight"))
        .add(p("self_attn.out_proj.bias"));
      x = x.add(attn);
      const h2 = layerNorm(x.ref, p("norm2.weight"), p("norm2.bias"));
      const f1 = np.matmul(h2, p("linear1.weight")).add(p("linear1.bias"));
      const f = np.matmul(nn.gelu(f1, { approximate: false }), p("linear2.weight"));
      x = x.add(f.add(p("linear2.bias")));
    }
    const pooled = np.mean(x.reshape([B, L, D]), 1);
    const logits = np.matmul(pooled, at(ps, "head.weight")).add(at(ps, "head.bias"));
    for (const t of ps) t.dispose();
    return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(target), -1)).mul(-1);
  };

  const [b1, b2, eps] = [0.9, 0.999, 1e-8];
  const adam = jit((ps: Arr[], gs: Arr[], ms: Arr[], vs: Arr[], stepSize: Arr, invBc2: Arr) => {
    const P: Arr[] = [];
    const M: Arr[] = [];
    const V: Arr[] = [];
    for (let i = 0; i < ps.length; i++) {
      const g = gs[i];
      const m = ms[i].mul(b1).add(g.ref.mul(1 - b1));
      const v = vs[i].mul(b2).add(g.ref.mul(g).mul(1 - b2));
      const denom = np.sqrt(v.ref).mul(invBc2.ref).add(eps);
      P.push(ps[i].sub(m.ref.mul(stepSize.ref).div(denom)));
      M.push(m);
      V.push(v);
    }
    stepSize.dispose();
    invBc2.dispose();
    return [P, M, V];
  });

  const tok = np.array(tokens, { shape: [B * L], dtype: np.int32 });
  const target = nn.oneHot(np.array(labels, { shape: [B], dtype: np.int32 }), c.classes);
  const valueGrad = jit(valueAndGrad(loss));
  let ms: Arr[] = params.map((p) => np.zeros(p.shape));
  let vs: Arr[] = params.map((p) => np.zeros(p.shape));
  let t = 0;
  return {
    async step() {
      t += 1;
      const [value, grads] = valueGrad(tree.ref(params), tok.ref, target.ref);
      const lr = c.lr / (1 - b1 ** t);
      const bc2 = np.array(1 / Math.sqrt(1 - b2 ** t));
      const next = adam(params, grads, ms, vs, np.array(lr), bc2) as [Arr[], Arr[], Arr[]];
      [params, ms, vs] = next;
      const out = (await value.data())[0] as number;
      await jax.blockUntilReady(params);
      return out;
    },
    dispose() {
      tree.dispose([params, ms, vs]);
      tok.dispose();
      target.dispose();
    },
  };
}
