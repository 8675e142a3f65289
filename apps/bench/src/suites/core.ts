import { matmul, randn, softmax, type Tensor } from "@tapegrad/core";
import type { BenchCase, Contenders } from "../case.js";
import { type Jax, loadPeers } from "../peers.js";

// biome-ignore lint/suspicious/noExplicitAny: jax-js's Array type is generic over trees.
type JaxArray = any;

/** The same float32 values as a tapegrad tensor, a jax-js array and a tfjs tensor. */
async function triple(shape: number[]) {
  const { jax, tf } = await loadPeers();
  const t = randn(shape, { dtype: "float32" });
  const data = t.data as Float32Array;
  return {
    t,
    j: jax.numpy.array(data, { shape }) as JaxArray,
    f: tf.tensor(data, shape, "float32"),
  };
}

/** A jitted jax-js function of two arrays, run to completion (the inputs are kept). */
function jaxCall(jax: Jax, f: (a: JaxArray, b: JaxArray) => JaxArray, a: JaxArray, b: JaxArray) {
  const jf = jax.jit(f);
  return async () => {
    const y = jf(a.ref, b.ref);
    await y.blockUntilReady();
    y.dispose();
  };
}

function binaryCase(
  name: string,
  unit: BenchCase["unit"],
  shapes: [number[], number[]],
  tg: (a: Tensor, b: Tensor) => Tensor,
  jaxOp: (jax: Jax, a: JaxArray, b: JaxArray) => JaxArray,
  tfOp: (tf: Awaited<ReturnType<typeof loadPeers>>["tf"], a: never, b: never) => unknown,
  flops?: number,
): BenchCase {
  return {
    suite: "core",
    name,
    unit,
    flops,
    async setup(): Promise<Contenders> {
      const { jax, tf } = await loadPeers();
      const a = await triple(shapes[0]);
      const b = await triple(shapes[1]);
      return {
        tapegrad: () => void tg(a.t, b.t),
        jax: jaxCall(jax, (x, y) => jaxOp(jax, x, y), a.j, b.j),
        tfjs: () => {
          const y = tfOp(tf, a.f as never, b.f as never) as {
            dataSync(): unknown;
            dispose(): void;
          };
          y.dataSync();
          y.dispose();
        },
        dispose: () => {
          a.j.dispose();
          b.j.dispose();
          tf.dispose([a.f, b.f]);
        },
      };
    },
  };
}

export const coreCases: BenchCase[] = [
  binaryCase(
    "matmul 512x512 @ 512x512",
    "GFLOP/s",
    [
      [512, 512],
      [512, 512],
    ],
    matmul,
    (jax, a, b) => jax.numpy.matmul(a, b),
    (tf, a, b) => tf.matMul(a, b),
    2 * 512 ** 3,
  ),
  binaryCase(
    "matmul batched 64x(128x128 @ 128x64)",
    "GFLOP/s",
    [
      [64, 128, 128],
      [64, 128, 64],
    ],
    matmul,
    (jax, a, b) => jax.numpy.matmul(a, b),
    (tf, a, b) => tf.matMul(a, b),
    2 * 64 * 128 * 128 * 64,
  ),
  binaryCase(
    "add [8192,256] + [256]",
    "ms",
    [[8192, 256], [256]],
    (a, b) => a.add(b),
    (_jax, a, b) => a.add(b),
    (tf, a, b) => tf.add(a, b),
  ),
  {
    suite: "core",
    name: "softmax [8192,256] last dim",
    unit: "ms",
    async setup(): Promise<Contenders> {
      const { jax, tf } = await loadPeers();
      const x = await triple([8192, 256]);
      const jf = jax.jit((a: JaxArray) => jax.nn.softmax(a, -1));
      return {
        tapegrad: () => void softmax(x.t, -1),
        jax: async () => {
          const y = jf(x.j.ref);
          await y.blockUntilReady();
          y.dispose();
        },
        tfjs: () => {
          const y = tf.softmax(x.f);
          y.dataSync();
          y.dispose();
        },
        dispose: () => {
          x.j.dispose();
          x.f.dispose();
        },
      };
    },
  },
];
