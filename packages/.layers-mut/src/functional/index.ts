export { addLayerNorm, addRmsNorm } from "./add-norm.js";
export { type BatchNormOptions, batchNorm } from "./batch-norm.js";
export { groupNorm } from "./group-norm.js";
export { layerNorm } from "./layer-norm.js";
export { rmsNorm } from "./rms-norm.js";
