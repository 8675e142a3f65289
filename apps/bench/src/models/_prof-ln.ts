import { noGrad, randn } from "@tapegrad/core";
import { layerNorm } from "@tapegrad/layers";

const [rows, d] = [8192, 256];
const x = randn([rows, d]);
x.requiresGrad = true;
const w = randn([d]);
w.requiresGrad = true;
const b = randn([d]);
b.requiresGrad = true;
const up = randn([rows, d]);
function t(label: string, f: () => void, n = 10) {
  f();
  const ts: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  console.log(label.padEnd(40), ts[n >> 1]!.toFixed(1), "ms");
}
t("layerNorm fwd (noGrad)", () => noGrad(() => layerNorm(x, [d], w, b)));
t("layerNorm fwd (taped)", () => layerNorm(x, [d], w, b));
t("layerNorm fwd + backward(up)", () => {
  x.grad = w.grad = b.grad = null;
  layerNorm(x, [d], w, b).backward(up);
});
t("layerNorm fwd + mul(up).sum().backward()", () => {
  x.grad = w.grad = b.grad = null;
  layerNorm(x, [d], w, b).mul(up).sum().backward();
});
const y = noGrad(() => layerNorm(x, [d], w, b));
t("y.mul(up) (noGrad)", () => noGrad(() => y.mul(up)));
t("y.sum() (noGrad)", () => noGrad(() => y.sum()));
t("new Float32Array(2M)", () => new Float32Array(rows * d));
t("raw loop mul 2M", () => {
  const o = new Float32Array(rows * d);
  const a = y.data,
    c = up.data;
  for (let i = 0; i < o.length; i++) o[i] = a[i]! * c[i]!;
});
