// The fluent methods are installed on Tensor's prototype before anything else runs.
import "./methods.js";

export { type BackwardOptions, type GradOptions, grad } from "./autograd/engine.js";
export {
  type BackwardContext,
  defineNonDifferentiable,
  defineOp,
  type ForwardContext,
  type GradientList,
  type Op,
  type OpDefinition,
  type OpInfo,
} from "./autograd/function.js";
export { enableGrad, isGradEnabled, noGrad } from "./autograd/grad-mode.js";
export { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "./checkpoint.js";
export {
  arange,
  eye,
  full,
  fullLike,
  linspace,
  ones,
  onesLike,
  type RandomOptions,
  rand,
  randint,
  randn,
  type TensorData,
  type TensorOptions,
  tensor,
  zeros,
  zerosLike,
} from "./creation.js";
export {
  allocArray,
  type DType,
  type FloatArray,
  type FloatDType,
  isFloatDType,
  machineEpsilon,
  promoteTypes,
  type TypedArray,
} from "./dtype.js";
export { formatTensor } from "./format.js";
export {
  GradcheckError,
  type GradcheckFn,
  type GradcheckOptions,
  type GradcheckReport,
  gradcheck,
} from "./gradcheck.js";
export { gradgradcheck } from "./gradgradcheck.js";
export { type KernelInfo, kernelInfo } from "./kernels/info.js";
export {
  getMatmulKernel,
  type MatmulKernel,
  setMatmulKernel,
  wasmAvailable,
} from "./kernels/matmul.js";
export * as kernels from "./kernels/public.js";
export { getNumThreads, setNumThreads } from "./kernels/wasm/pool.js";
export type { KernelFlavor } from "./kernels/wasm/runtime.js";
export { type AttentionOptions, attention, attentionPacked } from "./ops/attention.js";
export { add, div, maximum, minimum, mul, pow, sub } from "./ops/binary.js";
export { clone, toDType } from "./ops/cast.js";
export * from "./ops/compare.js";
export * from "./ops/indexing.js";
export { type LinearActivation, linear } from "./ops/linear.js";
export * from "./ops/loss.js";
export { matmul, matmulNT } from "./ops/matmul.js";
export * from "./ops/nn.js";
export {
  argmax,
  argmin,
  type Dims,
  logsumexp,
  max,
  mean,
  min,
  std,
  sum,
  type VarOptions,
  variance as var,
  variance,
} from "./ops/reduce.js";
export { type OpName, opNames, opRegistry } from "./ops/registry.js";
export { expand, flatten, permute, reshape, squeeze, transpose, unsqueeze } from "./ops/shape.js";
// Ops as functions.
export * from "./ops/unary.js";
export { defaultGenerator, Generator, manualSeed } from "./random.js";
export { decodeSafetensors, encodeSafetensors } from "./safetensors.js";
export {
  broadcastShapes,
  fmtShape,
  type Shape,
  shapeSize,
  shapesEqual,
  stridesOf,
} from "./shape.js";
export { type NestedArray, Tensor, type TensorLike } from "./tensor.js";
