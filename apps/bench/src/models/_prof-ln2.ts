import { randn } from "@tapegrad/core";
import { layerNorm } from "@tapegrad/layers";

const [rows, d] = [8192, 256];
const x = randn([rows, d]);
x.requiresGrad = true;
const w = randn([d]);
w.requiresGrad = true;
const b = randn([d]);
b.requiresGrad = true;
const up = randn([rows, d]);
for (let i = 0; i < 60; i++) {
  x.grad = w.grad = b.grad = null;
  layerNorm(x, [d], w, b).mul(up).sum().backward();
}
