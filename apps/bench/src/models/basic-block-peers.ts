/**
 * tapegrad's ResNet BasicBlock (stride 1, no projection) in train mode written in the peers'
 * ops: conv3×3 (padding 1, no bias) → batch norm with the batch's statistics (biased variance,
 * eps 1e-5) → ReLU → conv3×3 → batch norm, + x, ReLU. The running-statistics update tapegrad also
 * does (a few [C] vectors) is left out.
 */
import * as tf from "@tensorflow/tfjs-core";
import { loadPeers } from "../peers.js";
import {
  type JaxArray,
  jaxPeer,
  type Leaf,
  type ModuleData,
  type PeerStep,
  tfjsPeer,
} from "./module-peers.js";

export const BN_EPS = 1e-5;

/**
 * tfjs in NHWC, its native layout (input, upstream and weights are transposed once, untimed).
 * Its WebAssembly backend has no Conv2DBackpropFilter kernel, so tf.conv2d has no weight
 * gradient there. The convolution is tf.conv2d (XNNPACK) under a custom gradient that is tfjs'
 * own rule for it — input gradient by Conv2DBackpropInput (tf.conv2dTranspose) — with the
 * filter gradient from the wasm kernel that exists, Conv3DBackpropFilterV2, on a depth of 1.
 * (A tf.conv3d of depth 1 throughout also trains, but its forward ran 62× slower than
 * tf.conv2d's on [8, 32, 32, 64] here.)
 */
export function tfjsBasicBlock(d: ModuleData): PeerStep {
  const [N, C, H, W] = d.x.shape as [number, number, number, number];
  const nhwc = (l: Leaf) => tf.tidy(() => tf.transpose(tf.tensor(l.data, l.shape), [0, 2, 3, 1]));
  // [O, I, kh, kw] → [kh, kw, I, O].
  const hwio = (l: Leaf) => tf.tidy(() => tf.transpose(tf.tensor(l.data, l.shape), [2, 3, 1, 0]));
  const [c1, g1, b1, c2, g2, b2] = d.params as [Leaf, Leaf, Leaf, Leaf, Leaf, Leaf];
  const x = tf.variable(nhwc(d.x));
  const [w1, w2] = [tf.variable(hwio(c1)), tf.variable(hwio(c2))];
  const [gamma1, beta1, gamma2, beta2] = [g1, b1, g2, b2].map((l) =>
    tf.variable(tf.tensor(l.data)),
  );
  const vars = [x, w1, gamma1!, beta1!, w2, gamma2!, beta2!];
  const as4d = (t: tf.Tensor) => t as tf.Tensor4D;
  const conv = tf.customGrad((...args) => {
    const [y, w, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([y, w]);
    return {
      value: tf.conv2d(as4d(y), as4d(w), 1, "same"),
      gradFunc: (dy, [y, w]) => [
        tf.conv2dTranspose(as4d(dy), as4d(w!), [N, H, W, C], 1, "same"),
        tf.reshape(
          tf
            .engine()
            .runKernel(
              tf.Conv3DBackpropFilterV2,
              { x: tf.reshape(y!, [N, 1, H, W, C]), dy: tf.reshape(dy, [N, 1, H, W, C]) },
              { strides: [1, 1, 1], pad: "same", filterShape: [1, 3, 3, C, C] },
            ) as tf.Tensor,
          [3, 3, C, C],
        ),
      ],
    };
  }) as (y: tf.Tensor, w: tf.Tensor) => tf.Tensor;
  const bn = (y: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
    const { mean, variance } = tf.moments(y, [0, 1, 2]);
    return tf.batchNorm(y, mean, variance, beta, gamma, BN_EPS);
  };
  const forward = () => {
    const h = tf.relu(bn(conv(x, w1), gamma1!, beta1!));
    return tf.relu(tf.add(bn(conv(h, w2), gamma2!, beta2!), x));
  };
  const toTapegrad = (g: tf.Tensor, i: number) =>
    i === 0
      ? tf.transpose(g, [0, 3, 1, 2])
      : i === 1 || i === 4
        ? tf.transpose(g, [3, 2, 0, 1])
        : g;
  return tfjsPeer(vars, nhwc(d.up), forward, toTapegrad);
}

/** jax-js in NCHW with `lax.conv` (cross-correlation, OIHW weights, as PyTorch's). */
export async function jaxBasicBlock(d: ModuleData): Promise<PeerStep> {
  const { jax } = await loadPeers();
  const { numpy: np, nn, lax } = jax;
  const C = d.x.shape[1]!;
  const conv = (y: JaxArray, w: JaxArray) =>
    lax.conv(
      y,
      w,
      [1, 1],
      [
        [1, 1],
        [1, 1],
      ],
    );
  const bn = (y: JaxArray, gamma: JaxArray, beta: JaxArray) =>
    nn
      .standardize(y, [0, 2, 3], { epsilon: BN_EPS })
      .mul(gamma.reshape([1, C, 1, 1]))
      .add(beta.reshape([1, C, 1, 1]));
  const loss = (
    x: JaxArray,
    w1: JaxArray,
    g1: JaxArray,
    b1: JaxArray,
    w2: JaxArray,
    g2: JaxArray,
    b2: JaxArray,
    u: JaxArray,
  ) => {
    const h = nn.relu(bn(conv(x.ref, w1), g1, b1));
    return np.sum(nn.relu(bn(conv(h, w2), g2, b2).add(x)).mul(u));
  };
  const arr = (l: Leaf) => np.array(l.data, { shape: l.shape }) as JaxArray;
  return jaxPeer(jax, [d.x, ...d.params, d.up].map(arr), loss);
}
