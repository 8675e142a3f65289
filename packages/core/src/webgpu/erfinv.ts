/**
 * erfinv on WebGPU: Giles' single-precision approximation ("Approximating the erfinv function",
 * GPU Computing Gems, 2011; ops/erfinv-start.ts), the CPU's starting point, which is float32-accurate by itself (the
 * CPU refines it to float64 and rounds). ±∞ at ±1, NaN outside [−1, 1]. It saves y as the CPU
 * does, so the rule dy·(√π/2)·exp(y²) runs here unchanged.
 */
import type { ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
import { ERFINV_CENTRAL, ERFINV_TAIL, hornerWgsl } from "../ops/erfinv-start.js";
import { assertFloat, assertTensor } from "../ops/util.js";
import type { Tensor } from "../tensor.js";
import { map } from "./elementwise.js";

const ERFINV_WGSL = `
fn erfinv_(y: f32) -> f32 {
  let a = abs(y);
  if (a == 1.0) { return select(-inf_(), inf_(), y > 0.0); }
  if (!(a < 1.0)) { return nan_(); }
  if (a == 0.0) { return y; }
  var w = -log((1.0 - a) * (1.0 + a));
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    ${hornerWgsl(ERFINV_CENTRAL)}
  } else {
    w = sqrt(w) - 3.0;
    ${hornerWgsl(ERFINV_TAIL)}
  }
  return p * y;
}`;

registerDeviceOp("webgpu", "erfinv", {
  forward(ctx: ForwardContext<Tensor>, x: Tensor): Tensor {
    assertTensor("erfinv", "input", x);
    assertFloat("erfinv", "input", x);
    const y = map("erfinv", x, "erfinv_(v)", x.dtype, [], ERFINV_WGSL);
    ctx.save(y);
    return y;
  },
});
