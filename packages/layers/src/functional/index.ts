export { adaptiveAvgPool2d, adaptiveMaxPool2d } from "./adaptive-pool.js";
export { addLayerNorm, addRmsNorm } from "./add-norm.js";
export { type BatchNormFunctionalOptions, batchNorm } from "./batch-norm.js";
export { dropout1d, dropout2d } from "./channel-dropout.js";
export {
  type Conv1dOptions,
  type Conv2dOptions,
  conv1d,
  conv2d,
  fold,
  type UnfoldOptions,
  unfold,
} from "./conv.js";
export {
  type ConvTranspose1dOptions,
  type ConvTranspose2dOptions,
  convTranspose1d,
  convTranspose2d,
} from "./conv-transpose.js";
export { groupNorm } from "./group-norm.js";
export { type InstanceNormFunctionalOptions, instanceNorm } from "./instance-norm.js";
export { type InterpolateMode, type InterpolateOptions, interpolate } from "./interpolate.js";
export { layerNorm } from "./layer-norm.js";
export { localResponseNorm } from "./local-response-norm.js";
export {
  type AvgPool1dOptions,
  type AvgPool2dOptions,
  avgPool1d,
  avgPool2d,
  type MaxPool1dOptions,
  type MaxPool2dOptions,
  maxPool1d,
  maxPool2d,
  type Pool2dOptions,
} from "./pool.js";
export { layerOpRegistry } from "./registry.js";
export { rmsNorm } from "./rms-norm.js";
