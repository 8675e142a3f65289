/**
 * tapegrad's LSTM (one layer, PyTorch's gates i, f, g, o, zero initial state) written in the
 * peers' ops, the way tapegrad computes it: one matmul projects every time step's input
 * (x·W_ihᵀ + b_ih + b_hh), then each step adds h·W_hhᵀ and applies the gates; the outputs h_t
 * are stacked to [T, N, H]. Neither peer has a fused LSTM that takes PyTorch's weights
 * (tf.basicLSTMCell packs [W_ih; W_hh] with another gate order and a forget bias).
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

function sizes(d: ModuleData) {
  const [T, N, F] = d.x.shape as [number, number, number];
  const H = d.params[1]!.shape[1]!;
  return { T, N, F, H };
}

/** tfjs ops under `variableGrads`, w.r.t. x, W_ih, W_hh, b_ih, b_hh. */
export function tfjsLstm(d: ModuleData): PeerStep {
  const { T, N, F, H } = sizes(d);
  const v = (l: Leaf) => tf.variable(tf.tensor(l.data, l.shape));
  const [x, wIh, wHh, bIh, bHh] = [d.x, ...d.params].map(v) as [
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
  ];
  const forward = () => {
    const proj = tf.add(tf.matMul(tf.reshape(x, [T * N, F]), wIh, false, true), tf.add(bIh, bHh));
    const steps = tf.unstack(tf.reshape(proj, [T, N, 4 * H]));
    let h: tf.Tensor = tf.zeros([N, H]);
    let c: tf.Tensor = tf.zeros([N, H]);
    const outs: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const gates = tf.add(steps[t]!, tf.matMul(h, wHh, false, true));
      const [i, f, g, o] = tf.split(gates, 4, 1) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      outs.push(h);
    }
    return tf.stack(outs);
  };
  return tfjsPeer([x, wIh, wHh, bIh, bHh], tf.tensor(d.up.data, d.up.shape), forward);
}

/** jax-js: `valueAndGrad` w.r.t. x, W_ih, W_hh, b_ih, b_hh of the unrolled loop. */
export async function jaxLstm(d: ModuleData): Promise<PeerStep> {
  const { jax } = await loadPeers();
  const { numpy: np, nn } = jax;
  const { T, N, F, H } = sizes(d);
  const arr = (l: Leaf) => np.array(l.data, { shape: l.shape }) as JaxArray;
  const loss = (
    x: JaxArray,
    wIh: JaxArray,
    wHh: JaxArray,
    bIh: JaxArray,
    bHh: JaxArray,
    u: JaxArray,
  ) => {
    const proj = np
      .matmul(x.reshape([T * N, F]), np.matrixTranspose(wIh))
      .add(bIh.add(bHh))
      .reshape([T, N, 4 * H]);
    const steps = np.split(proj, T, 0) as JaxArray[];
    const wHhT = np.matrixTranspose(wHh);
    let h: JaxArray = np.zeros([N, H]);
    let c: JaxArray = np.zeros([N, H]);
    const outs: JaxArray[] = [];
    for (let t = 0; t < T; t++) {
      const gates = steps[t].reshape([N, 4 * H]).add(np.matmul(h, wHhT.ref));
      const [i, f, g, o] = np.split(gates, 4, 1) as JaxArray[];
      c = nn
        .sigmoid(f)
        .mul(c)
        .add(nn.sigmoid(i).mul(np.tanh(g)));
      h = nn.sigmoid(o).mul(np.tanh(c.ref));
      outs.push(h.ref);
    }
    for (const t of [h, c, wHhT]) t.dispose();
    return np.sum(np.stack(outs).mul(u));
  };
  return jaxPeer(jax, [d.x, ...d.params, d.up].map(arr), loss);
}
