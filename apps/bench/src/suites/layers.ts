/**
 * Forward + backward of the norms three ways: tapegrad's fused hand-derived op, the same math
 * composed from primitive core ops (differentiated by the tape), and tfjs (WebAssembly backend);
 * LayerNorm also against jax-js (jit of the gradient).
 * Every contender computes loss = Σ y·u for a fixed random upstream u and then every gradient
 * (input, weight, bias), so the backward work is the same for all three.
 */
import { randn, type Tensor } from "@tapegrad/core";
import { batchNorm, layerNorm, rmsNorm } from "@tapegrad/layers";
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import type { BenchCase, Contenders } from "../case.js";
import { collectGarbage } from "../models/gc.js";
import { loadPeers } from "../peers.js";

export const EPS = 1e-5;

/** The three ways of one norm, built on the same data. `grads` return [dx, dweight, dbias]. */
export interface NormContenders {
  fused: () => void;
  composed: () => void;
  tfjs: () => void;
  /** One more step of each, returning the gradients, to check that the three agree. */
  grads(): { fused: Float32Array[]; composed: Float32Array[]; tfjs: Float32Array[] };
  dispose(): void;
}

export interface NormComparison {
  name: string;
  /** How tfjs computes it (a tfjs-layers layer, or composed tfjs ops where no layer exists). */
  tfjsKind: string;
  setup(): NormContenders;
}

function leaf(shape: number[], scale = 1, offset = 0): Tensor {
  const t = randn(shape, { dtype: "float32" });
  if (scale !== 1 || offset !== 0)
    for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * scale + offset;
  t.requiresGrad = true;
  return t;
}

const tfOf = (t: Tensor) => tf.tensor(t.data as Float32Array, t.shape as number[], "float32");

/**
 * Forward, then backward with the upstream gradient u (the gradient of Σ y·u), and drop the
 * gradients again (the next call starts from none). Passing u to backward() times the layer
 * alone, without a shared multiply-and-sum diluting the fused/composed ratio.
 */
function tapeStep(params: Tensor[], up: Tensor, f: () => Tensor): () => Float32Array[] {
  return () => {
    for (const p of params) p.grad = null;
    f().backward(up);
    return params.map((p) => p.grad!.data as Float32Array);
  };
}

/** The same with tfjs: every tensor the step makes is freed before it returns. */
function tfjsStep(vars: tf.Variable[], up: tf.Tensor, f: () => tf.Tensor): () => Float32Array[] {
  return () =>
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), up)) as tf.Scalar, vars);
      value.dataSync();
      return vars.map((v) => grads[v.name]!.dataSync() as Float32Array);
    });
}

function contenders(
  fused: () => Float32Array[],
  composed: () => Float32Array[],
  tfjs: () => Float32Array[],
  dispose: () => void,
  /** Brings tfjs' gradients to tapegrad's layout, for the check only. */
  tfjsLayout: (g: Float32Array[]) => Float32Array[] = (g) => g,
): NormContenders {
  return {
    fused: () => void fused(),
    composed: () => void composed(),
    tfjs: () => void tfjs(),
    grads: () => ({ fused: fused(), composed: composed(), tfjs: tfjsLayout(tfjs()) }),
    dispose,
  };
}

/** tfjs-layers weights are LayerVariables; their tf.Variable is what variableGrads needs. */
function layerVars(layer: tfl.layers.Layer): tf.Variable[] {
  return layer.trainableWeights.map((w) => w.read() as tf.Variable);
}

export const normComparisons: NormComparison[] = [
  {
    name: "layerNorm [8192,256]",
    tfjsKind: "tfjs-layers LayerNormalization",
    setup() {
      const [rows, d] = [8192, 256];
      const x = leaf([rows, d]);
      const w = leaf([d], 0.1, 1);
      const b = leaf([d], 0.1);
      const up = randn([rows, d], { dtype: "float32" });
      const ps = [x, w, b];
      const layer = tfl.layers.layerNormalization({ axis: -1, epsilon: EPS });
      const tx = tf.variable(tfOf(x), true, "ln_x");
      layer.apply(tx); // builds gamma and beta
      layer.setWeights([tfOf(w), tfOf(b)]);
      const tu = tfOf(up);
      return contenders(
        tapeStep(ps, up, () => layerNorm(x, [d], w, b, EPS)),
        tapeStep(ps, up, () => {
          const centered = x.sub(x.mean(-1, true));
          const rstd = centered.square().mean(-1, true).add(EPS).rsqrt();
          return centered.mul(rstd).mul(w).add(b);
        }),
        tfjsStep([tx, ...layerVars(layer)], tu, () => layer.apply(tx) as tf.Tensor),
        () => {
          layer.dispose();
          tf.dispose([tx, tu]);
        },
      );
    },
  },
  {
    name: "rmsNorm [8192,256]",
    tfjsKind: "tfjs ops (no RMSNorm layer)",
    setup() {
      const [rows, d] = [8192, 256];
      const x = leaf([rows, d]);
      const w = leaf([d], 0.1, 1);
      const up = randn([rows, d], { dtype: "float32" });
      const ps = [x, w];
      const tx = tf.variable(tfOf(x), true, "rms_x");
      const tw = tf.variable(tfOf(w), true, "rms_w");
      const tu = tfOf(up);
      return contenders(
        tapeStep(ps, up, () => rmsNorm(x, [d], w, EPS)),
        tapeStep(ps, up, () => x.mul(x.square().mean(-1, true).add(EPS).rsqrt()).mul(w)),
        // tfjs-layers has no RMSNorm layer.
        tfjsStep([tx, tw], tu, () =>
          tf.mul(tf.mul(tx, tf.rsqrt(tf.add(tf.mean(tf.square(tx), -1, true), EPS))), tw),
        ),
        () => tf.dispose([tx, tw, tu]),
      );
    },
  },
  {
    name: "batchNorm2d train [32,64,32,32]",
    tfjsKind: "tfjs-layers BatchNormalization, NHWC",
    setup() {
      const shape = [32, 64, 32, 32];
      const c = shape[1]!;
      const x = leaf(shape);
      const w = leaf([c], 0.1, 1);
      const b = leaf([c], 0.1);
      const up = randn(shape, { dtype: "float32" });
      const rm = randn([c], { dtype: "float32" }).mul(0);
      const rv = rm.add(1);
      const ps = [x, w, b];
      const axes = [0, 2, 3];
      // tfjs' BatchNorm gradient only handles channels last, its native layout: give it NHWC
      // copies. Keras' momentum weights the old value: 0.9 here is PyTorch's 0.1.
      const layer = tfl.layers.batchNormalization({ axis: -1, epsilon: EPS, momentum: 0.9 });
      const nhwc = (t: Tensor) => tf.tidy(() => tf.transpose(tfOf(t), [0, 2, 3, 1]));
      const tx = tf.variable(nhwc(x), true, "bn_x");
      layer.apply(tx, { training: true });
      layer.setWeights([tfOf(w), tfOf(b), tf.zeros([c]), tf.ones([c])]);
      const tu = nhwc(up);
      const toNchw = (g: Float32Array[]) => {
        const dx = tf.tidy(() => tf.transpose(tf.tensor(g[0]!, tx.shape), [0, 3, 1, 2]));
        const data = dx.dataSync() as Float32Array;
        dx.dispose();
        return [data, ...g.slice(1)];
      };
      return contenders(
        tapeStep(ps, up, () => batchNorm(x, rm, rv, w, b, { training: true, eps: EPS })),
        tapeStep(ps, up, () => {
          const centered = x.sub(x.mean(axes, true));
          const invstd = centered.square().mean(axes, true).add(EPS).rsqrt();
          return centered
            .mul(invstd)
            .mul(w.reshape(1, c, 1, 1))
            .add(b.reshape(1, c, 1, 1));
        }),
        tfjsStep(
          [tx, ...layerVars(layer)],
          tu,
          () => layer.apply(tx, { training: true }) as tf.Tensor,
        ),
        () => {
          layer.dispose();
          tf.dispose([tx, tu]);
        },
        toNchw,
      );
    },
  },
];

// biome-ignore lint/suspicious/noExplicitAny: jax-js's Array type is generic over trees.
type JaxArray = any;

/** LayerNorm forward + backward in jax-js: jit(grad(Σ layerNorm(x)·u)) for x, weight and bias. */
async function jaxLayerNorm(
  rows: number,
  d: number,
): Promise<{ run: () => Promise<void>; dispose(): void }> {
  const { jax } = await loadPeers();
  const np = jax.numpy;
  const arr = (t: Tensor) => np.array(t.data as Float32Array, { shape: [...t.shape] }) as JaxArray;
  const [x, w, b, u] = [leaf([rows, d]), leaf([d], 0.1, 1), leaf([d], 0.1), leaf([rows, d])].map(
    arr,
  );
  const loss = (x: JaxArray, w: JaxArray, b: JaxArray, u: JaxArray) =>
    np.sum(jax.nn.standardize(x, -1, { epsilon: EPS }).mul(w).add(b).mul(u));
  const g = jax.jit(jax.grad(loss, { argnums: [0, 1, 2] }));
  return {
    run: async () => {
      const grads = g(x.ref, w.ref, b.ref, u.ref) as JaxArray[];
      await jax.blockUntilReady(grads);
      for (const t of grads) t.dispose();
    },
    dispose: () => {
      for (const t of [x, w, b, u]) t.dispose();
    },
  };
}

/**
 * Rows for the main table: the fused op against the peers, and the composed op alone (compare its
 * tapegrad column with the fused row's). `models/norm-report.ts` times fused, composed and tfjs
 * interleaved.
 */
export const layerCases: BenchCase[] = normComparisons.flatMap((n): BenchCase[] => [
  {
    suite: "layers",
    name: `${n.name} fwd+bwd fused (tfjs: ${n.tfjsKind})`,
    unit: "ms",
    async setup(): Promise<Contenders> {
      await loadPeers();
      const s = n.setup();
      const tfjs = () => {
        s.tfjs();
        collectGarbage(); // tfjs' garbage is charged to tfjs, not to the next tapegrad call
      };
      const j = n.name.startsWith("layerNorm") ? await jaxLayerNorm(8192, 256) : null;
      return {
        tapegrad: s.fused,
        tfjs,
        ...(j === null ? {} : { jax: j.run }),
        dispose: () => {
          s.dispose();
          j?.dispose();
        },
      };
    },
  },
  {
    suite: "layers",
    name: `${n.name} fwd+bwd composed core ops`,
    unit: "ms",
    setup() {
      const s = n.setup();
      return { tapegrad: s.composed, dispose: s.dispose };
    },
  },
]);
