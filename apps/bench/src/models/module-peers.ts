/**
 * What the module rows (LSTM, BasicBlock) share: the numbers a peer starts from, copied out of
 * tapegrad's tensors, and the shape of a peer's step. Every contender computes the loss
 * Σ y·u for the same fixed upstream u, then the gradient of the input and of every weight.
 */
import type { Tensor } from "@tapegrad/core";
import * as tf from "@tensorflow/tfjs-core";

/** One tensor's numbers, in tapegrad's (PyTorch's) layout. */
export interface Leaf {
  name: string;
  data: Float32Array;
  shape: number[];
}

/** The input, the upstream gradient and the weights (in `parameters()` order) of one row. */
export interface ModuleData {
  x: Leaf;
  up: Leaf;
  params: Leaf[];
}

export const leafOf = (name: string, t: Tensor): Leaf => ({
  name,
  data: Float32Array.from(t.data as Float32Array),
  shape: [...t.shape],
});

/** A loss and the gradients [dx, ...dparams], in tapegrad's layouts. */
export interface LossAndGrads {
  loss: number;
  grads: Float32Array[];
}

/** A peer's forward + backward of Σ y·u. */
export interface PeerStep {
  /** The timed call: the loss and every gradient, computed and read back. */
  run(): void | Promise<void>;
  /** One more step, for the agreement check. */
  check(): Promise<LossAndGrads>;
  dispose(): void;
}

/**
 * tfjs: `variableGrads` of Σ f()·u over `vars` (input first, then the weights); every tensor the
 * step makes is freed before it returns. `layout` brings a gradient back to tapegrad's layout
 * (for the check only, not timed).
 */
export function tfjsPeer(
  vars: tf.Variable[],
  up: tf.Tensor,
  f: () => tf.Tensor,
  layout: (g: tf.Tensor, i: number) => tf.Tensor = (g) => g,
): PeerStep {
  // tf.tidy frees every tensor the step makes; what `read` takes out of them is plain data.
  const step = <R>(read: (value: tf.Scalar, grads: tf.Tensor[]) => R): R => {
    let out: R | undefined;
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(f(), up)) as tf.Scalar, vars);
      out = read(
        value,
        vars.map((v) => grads[v.name]!),
      );
    });
    return out as R;
  };
  return {
    // Read back, as the other contenders end with their gradients in memory.
    run: () =>
      step((value, grads) => {
        for (const t of [value, ...grads]) t.dataSync();
      }),
    check: async () =>
      step((value, grads) => ({
        loss: value.dataSync()[0]!,
        grads: grads.map((g, i) => layout(g, i).dataSync() as Float32Array),
      })),
    dispose: () => tf.dispose([...vars, up]),
  };
}

// biome-ignore lint/suspicious/noExplicitAny: jax-js's Array type is generic over trees.
export type JaxArray = any;

/**
 * jax-js: `jit(valueAndGrad(loss))` over every argument but the last (the upstream u). jax-js
 * arrays are reference-counted: a call consumes its arguments, so each
 * call passes `.ref`s and frees what it gets back.
 */
export async function jaxPeer(
  jax: typeof import("@jax-js/jax"),
  args: JaxArray[],
  loss: (...args: JaxArray[]) => JaxArray,
  layout: (g: Float32Array, i: number) => Float32Array = (g) => g,
): Promise<PeerStep> {
  const argnums = args.slice(0, -1).map((_, i) => i);
  const f = jax.jit(jax.valueAndGrad(loss, { argnums }));
  const call = async (): Promise<[JaxArray, JaxArray[]]> => {
    const [value, grads] = f(...args.map((a) => a.ref)) as [JaxArray, JaxArray[]];
    await jax.blockUntilReady([value, grads]);
    return [value, grads];
  };
  return {
    run: async () => {
      const [value, grads] = await call();
      value.dispose();
      for (const g of grads) g.dispose();
    },
    check: async () => {
      const [value, grads] = await call();
      const loss = ((await value.data()) as Float32Array)[0]!;
      const out: Float32Array[] = [];
      for (const [i, g] of grads.entries()) out.push(layout((await g.data()) as Float32Array, i));
      return { loss, grads: out };
    },
    dispose: () => {
      for (const a of args) a.dispose();
    },
  };
}
