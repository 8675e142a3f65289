/**
 * erfinv on WebGPU: Giles' single-precision approximation ("Approximating the erfinv function",
 * GPU Computing Gems, 2011), the CPU's starting point, which is float32-accurate by itself (the
 * CPU refines it to float64 and rounds). ±∞ at ±1, NaN outside [−1, 1]. It saves y as the CPU
 * does, so the rule dy·(√π/2)·exp(y²) runs here unchanged.
 */
import type { ForwardContext } from "../autograd/function.js";
import { registerDeviceOp } from "../device-ops.js";
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
    p = 2.81022636e-8;
    p = 3.43273939e-7 + p * w;
    p = -3.5233877e-6 + p * w;
    p = -4.39150654e-6 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
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
