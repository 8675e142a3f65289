/**
 * The reference encoder written with tfjs-core ops, trained with tf.variableGrads and
 * tf.train.adam. Weights use tapegrad's (PyTorch's) names and layouts (Linear weights [out, in],
 * applied with a transposed matmul) so both frameworks can start from the same values.
 */
import * as tf from "@tensorflow/tfjs-core";
// tfjs-core's node bundle registers no gradient rules; tfjs-layers' bundle registers all of them.
import "@tensorflow/tfjs-layers";
import type { EncoderConfig } from "./encoder-config.js";

export interface InitialWeight {
  name: string;
  data: Float32Array;
  shape: number[];
}

export interface TfjsStep {
  step(): number;
  dispose(): void;
}

/** torch.nn.functional.layer_norm over the last axis, biased variance. */
function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
}

/** x·Wᵀ + b for x [rows, in], W [out, in]. */
function linear(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.add(tf.matMul(x, w, false, true), b);
}

/** Exact GELU, as tapegrad's default: x·Φ(x) = ½x·(1 + erf(x/√2)) (tfjs-core has erf). */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

export interface TfjsStepOptions {
  /**
   * How tokens are embedded: a gather (the cpu backend), or a one-hot matmul (the wasm backend
   * has no kernel for the gather's gradient, UnsortedSegmentSum).
   */
  embedding?: "gather" | "onehot";
}

export function makeTfjsStep(
  c: EncoderConfig,
  weights: readonly InitialWeight[],
  tokens: Int32Array,
  labels: Int32Array,
  options: TfjsStepOptions = {},
): TfjsStep {
  const vars = new Map<string, tf.Variable>();
  for (const w of weights) vars.set(w.name, tf.variable(tf.tensor(w.data, w.shape), true, w.name));
  const v = (name: string) => {
    const t = vars.get(name);
    if (t === undefined) throw new Error(`encoder-tfjs: no weight named ${name}`);
    return t;
  };
  const tok = tf.tensor2d(tokens, [c.batch, c.seqLen], "int32");
  const oneHotTokens =
    options.embedding === "onehot"
      ? tf.cast(tf.oneHot(tf.tensor1d(tokens, "int32"), c.vocab), "float32")
      : null;
  const target = tf.oneHot(tf.tensor1d(labels, "int32"), c.classes);
  const opt = tf.train.adam(c.lr, 0.9, 0.999, 1e-8);
  const [B, L, D, H] = [c.batch, c.seqLen, c.dModel, c.heads];
  const Dh = D / H;

  /** [B·L, D] → [B, H, L, Dh] */
  const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [B, L, H, Dh]), [0, 2, 1, 3]);

  function encoderLayer(h: tf.Tensor, p: string): tf.Tensor {
    // Pre-norm: x + SA(norm1(x)), then x + FF(norm2(x)); h is [B·L, D] throughout.
    const a = layerNorm(h, v(`${p}.norm1.weight`), v(`${p}.norm1.bias`), c.eps);
    const qkv = linear(a, v(`${p}.self_attn.in_proj_weight`), v(`${p}.self_attn.in_proj_bias`));
    const [q, k, val] = tf.split(qkv, 3, -1) as [tf.Tensor, tf.Tensor, tf.Tensor];
    const scores = tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(Dh));
    const ctx = tf.matMul(tf.softmax(scores, -1), heads(val)); // [B, H, L, Dh]
    const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B * L, D]);
    const attnOut = linear(
      merged,
      v(`${p}.self_attn.out_proj.weight`),
      v(`${p}.self_attn.out_proj.bias`),
    );
    const x1 = tf.add(h, attnOut);
    const n2 = layerNorm(x1, v(`${p}.norm2.weight`), v(`${p}.norm2.bias`), c.eps);
    const f = gelu(linear(n2, v(`${p}.linear1.weight`), v(`${p}.linear1.bias`)));
    return tf.add(x1, linear(f, v(`${p}.linear2.weight`), v(`${p}.linear2.bias`)));
  }

  function loss(): tf.Scalar {
    const table = v("embed.weight");
    const gathered =
      oneHotTokens === null
        ? tf.gather(table, tok)
        : tf.reshape(tf.matMul(oneHotTokens, table), [B, L, D]);
    const emb = tf.add(gathered, v("pos.weight")); // [B, L, D]
    let h = tf.reshape(emb, [B * L, D]);
    for (let i = 0; i < c.layers; i++) h = encoderLayer(h, `layers.${i}`);
    const pooled = tf.mean(tf.reshape(h, [B, L, D]), 1);
    const logits = linear(pooled, v("head.weight"), v("head.bias"));
    return tf.losses.softmaxCrossEntropy(target, logits) as tf.Scalar;
  }

  const varList = [...vars.values()];
  return {
    step() {
      return tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, varList);
        // Adam declares NamedVariableMap, but reads only the gradient tensors by variable name.
        opt.applyGradients(grads as unknown as Parameters<typeof opt.applyGradients>[0]);
        return value.dataSync()[0]!;
      });
    },
    dispose() {
      opt.dispose();
      tf.dispose([...varList, tok, target, ...(oneHotTokens === null ? [] : [oneHotTokens])]);
    },
  };
}
