// The fluent methods are installed on Tensor's prototype before anything else runs.
import "./methods.js";
// The ops' WebGPU implementations register themselves (they run only on webgpu tensors).
import "./webgpu/register.js";

export { type BackwardOptions, type GradOptions, grad } from "./autograd/engine.js";
export {
  type BackwardContext,
  defineNonDifferentiable,
  defineUserOp as defineOp,
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
export { getDefaultDevice, setDefaultDevice, withDevice } from "./default-device.js";
export { type Device, type DeviceStorage, isDevice } from "./device.js";
export { type DeviceOpImpl, deviceOpNames, registerDeviceOp } from "./device-ops.js";
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
export {
  celu,
  elu,
  hardsigmoid,
  hardswish,
  leakyRelu,
  logSigmoid,
  mish,
  prelu,
  selu,
  softsign,
} from "./ops/activations.js";
export { flip, repeat, roll, tile } from "./ops/arrange.js";
export { type AttentionOptions, attention, attentionPacked } from "./ops/attention.js";
export { add, div, maximum, minimum, mul, pow, sub } from "./ops/binary.js";
export { clone, toDType } from "./ops/cast.js";
export { eq, ge, gt, le, lt, ne, where } from "./ops/compare.js";
export { cumprod, cumsum } from "./ops/cumulative.js";
export {
  cosineSimilarity,
  type NormOrder,
  norm,
  pairwiseDistance,
} from "./ops/distance.js";
export { dropout } from "./ops/dropout.js";
export { einsum, outer } from "./ops/einsum.js";
export { atan2, erfinv, expm1, log1p } from "./ops/elementwise-more.js";
export { type EmbeddingOptions, embedding } from "./ops/embedding.js";
export { maxDim, minDim } from "./ops/extreme-indices.js";
export {
  gather,
  indexAdd,
  indexSelect,
  scatterAdd,
  slice,
  sliceScatter,
} from "./ops/indexing.js";
export { concat, pad, stack } from "./ops/join.js";
export { type LinearActivation, linear } from "./ops/linear.js";
export {
  isfinite,
  isinf,
  isnan,
  logicalAnd,
  logicalNot,
  logicalOr,
  logicalXor,
} from "./ops/logical.js";
export {
  type CrossEntropyOptions,
  crossEntropy,
  mseLoss,
  type NllLossOptions,
  nllLoss,
  type Reduction,
} from "./ops/loss.js";
export {
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from "./ops/loss-binary.js";
export { type KlDivOptions, klDiv } from "./ops/loss-kl.js";
export {
  cosineEmbeddingLoss,
  type MarginLossOptions,
  marginRankingLoss,
} from "./ops/loss-margin.js";
export {
  type HuberLossOptions,
  huberLoss,
  l1Loss,
  type RegressionLossOptions,
  type SmoothL1LossOptions,
  smoothL1Loss,
} from "./ops/loss-regression.js";
export { matmul, matmulNT } from "./ops/matmul.js";
export { logSoftmax, maskedFill, softmax } from "./ops/nn.js";
export { argmax, argmin, max, mean, min, sum } from "./ops/reduce.js";
export {
  logsumexp,
  std,
  type VarOptions,
  variance as var,
  variance,
} from "./ops/reduce-stats.js";
export type { Dims } from "./ops/reduced.js";
export {
  type DifferentiableOpName,
  type OpName,
  opNames,
  opRegistry,
} from "./ops/registry.js";
export { ceil, floor, round, trunc } from "./ops/rounding.js";
export { bernoulli, multinomial, multinomialAsync, randperm } from "./ops/sampling.js";
export {
  booleanMask,
  booleanMaskAsync,
  maskedSelect,
  maskedSelectAsync,
  oneHot,
  scatter,
  select,
} from "./ops/scatter.js";
export { expand, flatten, permute, reshape, squeeze, transpose, unsqueeze } from "./ops/shape.js";
export { argsort, sort, topk } from "./ops/sort.js";
export { chunk, narrow, split } from "./ops/split.js";
export { tril, triu } from "./ops/triangular.js";
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
export { isTensor, type NestedArray, Tensor, type TensorLike } from "./tensor.js";
export * as webgpu from "./webgpu/public.js";
export {
  initWebGPU,
  isWebGPUAvailable,
  isWebGPUReady,
  type WebGPUInfo,
  type WebGPUStats,
  webgpuStats,
} from "./webgpu/runtime.js";
