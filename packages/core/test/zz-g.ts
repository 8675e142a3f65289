import { gelu, randn, setNumThreads } from "../src/index.js";
import { mapF32 } from "../src/kernels/wasm/elementwise.js";

setNumThreads(1);
const x = randn([2048, 512]);
const xd = x.data as Float32Array;
const y = new Float32Array(xd.length);
for (let rep = 0; rep < 5; rep++) {
  let b = 1e9;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    mapF32("geluF32", xd, y, null, [0]);
    b = Math.min(b, performance.now() - t0);
  }
  let bt = 1e9;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    mapF32("geluF32", xd, y, null, [1]);
    bt = Math.min(bt, performance.now() - t0);
  }
  let bc = 1e9;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    y.set(xd);
    bc = Math.min(bc, performance.now() - t0);
  }
  console.log("exact", b.toFixed(2), "tanh", bt.toFixed(2), "copy", bc.toFixed(2));
}
process.exit(0);
