export { type Conv2dOptions, conv2d, unfold } from "./functional/conv.js";
export * from "./functional/index.js";
export { adaptiveAvgPool2d, avgPool2d, maxPool2d, type Pool2dOptions } from "./functional/pool.js";
export * as init from "./init.js";
export {
  type FactoryOptions,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  Module,
  type TraversalOptions,
  type UnaryModule,
} from "./module.js";
export {
  Dropout,
  Flatten,
  GELU,
  Identity,
  ReLU,
  Sigmoid,
  SiLU,
  Tanh,
} from "./modules/activation.js";
export {
  AddNorm,
  type AddNormOptions,
  fusedAddNorm,
  makeNorm,
  type NormKind,
  type Placement,
} from "./modules/add-norm.js";
export {
  type AttentionCallOptions,
  MultiheadAttention,
  type MultiheadAttentionOptions,
} from "./modules/attention.js";
export { ModuleList, Sequential } from "./modules/containers.js";
export {
  AdaptiveAvgPool2d,
  AvgPool2d,
  Conv2d,
  type Conv2dModuleOptions,
  MaxPool2d,
} from "./modules/conv.js";
export { DenseBlock, DenseLayer, Transition } from "./modules/dense.js";
export { Embedding, type EmbeddingOptions } from "./modules/embedding.js";
export { Linear, type LinearOptions } from "./modules/linear.js";
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormOptions,
  GroupNorm,
  type GroupNormOptions,
  LayerNorm,
  type LayerNormOptions,
  RMSNorm,
  type RMSNormOptions,
} from "./modules/norm.js";
export {
  LearnedPositionalEmbedding,
  type LearnedPositionalOptions,
  SinusoidalPositionalEncoding,
} from "./modules/positional.js";
export {
  BasicBlock,
  type BlockOptions,
  Bottleneck,
  Residual,
  type ResidualOptions,
} from "./modules/residual.js";
export {
  type EncoderCallOptions,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderOptions,
} from "./modules/transformer.js";
export { isParameter, Parameter } from "./parameter.js";
export {
  type CheckpointableDataLoader,
  type CheckpointableOptimizer,
  type CheckpointableScheduler,
  captureTrainingState,
  decodeTrainingState,
  encodeTrainingState,
  restoreTrainingState,
  type TrainingState,
} from "./training-state.js";
