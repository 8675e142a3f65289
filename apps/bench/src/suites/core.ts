import { matmul, randn, softmax, type Tensor } from "@tapegrad/core";
import * as tf from "@tensorflow/tfjs-core";
import type { BenchCase, Contenders } from "../case.js";

/** A float32 tapegrad tensor and a tfjs tensor holding the same values. */
function pair(shape: number[]): [Tensor, tf.Tensor] {
  const t = randn(shape, { dtype: "float32" });
  return [t, tf.tensor(t.data as Float32Array, shape, "float32")];
}

/** Run a tfjs op and force its result, then free it. */
function runTf(f: () => tf.Tensor): () => void {
  return () => {
    const y = f();
    y.dataSync();
    y.dispose();
  };
}

function binaryCase(
  name: string,
  unit: BenchCase["unit"],
  shapes: [number[], number[]],
  tg: (a: Tensor, b: Tensor) => Tensor,
  tfOp: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor,
  flops?: number,
): BenchCase {
  return {
    suite: "core",
    name,
    unit,
    flops,
    setup(): Contenders {
      const [a, ta] = pair(shapes[0]);
      const [b, tb] = pair(shapes[1]);
      return {
        tapegrad: () => void tg(a, b),
        tfjs: runTf(() => tfOp(ta, tb)),
        dispose: () => tf.dispose([ta, tb]),
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
    (a, b) => tf.matMul(a, b),
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
    (a, b) => tf.matMul(a, b),
    2 * 64 * 128 * 128 * 64,
  ),
  binaryCase(
    "add [8192,256] + [256]",
    "ms",
    [[8192, 256], [256]],
    (a, b) => a.add(b),
    (a, b) => tf.add(a, b),
  ),
  {
    suite: "core",
    name: "softmax [8192,256] last dim",
    unit: "ms",
    setup(): Contenders {
      const [x, tx] = pair([8192, 256]);
      return {
        tapegrad: () => void softmax(x, -1),
        tfjs: runTf(() => tf.softmax(tx)),
        dispose: () => tx.dispose(),
      };
    },
  },
];
