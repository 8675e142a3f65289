/**
 * norm (p-norms) on WebGPU. Its forward is a composition of ops (abs, powers, sums, max/min, a
 * count of non-zeros), each of which runs on the GPU, and its rule is a formula over ops: both
 * run here as they are, saving what the CPU saves.
 */
import { registerDeviceOp } from "../device-ops.js";
import { normForward } from "../ops/distance.js";

registerDeviceOp("webgpu", "norm", { forward: normForward });
