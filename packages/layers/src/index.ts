// The norms' WebGPU implementations register themselves (they run only on webgpu tensors).
import "./webgpu/register.js";

export * from "./functional/index.js";
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
  Dropout1d,
  Dropout2d,
  Flatten,
  GELU,
  Identity,
  ReLU,
  Sigmoid,
  SiLU,
  Tanh,
} from "./modules/activation.js";
export {
  CELU,
  ELU,
  Hardsigmoid,
  Hardswish,
  LeakyReLU,
  LogSigmoid,
  LogSoftmax,
  Mish,
  PReLU,
  SELU,
  Softmax,
  Softplus,
  Softsign,
} from "./modules/activation-more.js";
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
  Conv1d,
  type Conv1dModuleOptions,
  Conv2d,
  type Conv2dModuleOptions,
  ConvTranspose1d,
  type ConvTranspose1dModuleOptions,
  ConvTranspose2d,
  type ConvTranspose2dModuleOptions,
} from "./modules/conv.js";
export { DenseBlock, DenseLayer, Transition } from "./modules/dense.js";
export { Embedding, type EmbeddingOptions } from "./modules/embedding.js";
export {
  InstanceNorm1d,
  InstanceNorm2d,
  type InstanceNormOptions,
  LocalResponseNorm,
} from "./modules/instance-norm.js";
export { Linear, type LinearOptions } from "./modules/linear.js";
export {
  BatchNorm1d,
  BatchNorm2d,
  type BatchNormOptions,
  GroupNorm,
  type GroupNormOptions,
  LayerNorm,
  type LayerNormOptions,
  type NormForwardOptions,
  RMSNorm,
  type RMSNormOptions,
} from "./modules/norm.js";
export {
  AdaptiveAvgPool2d,
  AdaptiveMaxPool2d,
  AvgPool1d,
  AvgPool2d,
  MaxPool1d,
  MaxPool2d,
  Upsample,
  type UpsampleOptions,
} from "./modules/pool.js";
export {
  LearnedPositionalEmbedding,
  type LearnedPositionalOptions,
  SinusoidalPositionalEncoding,
} from "./modules/positional.js";
export {
  GRU,
  LSTM,
  RNN,
  type RNNBaseOptions,
  type RNNOptions,
} from "./modules/recurrent.js";
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
export {
  type DecoderCallOptions,
  TransformerDecoder,
  TransformerDecoderLayer,
  type TransformerDecoderLayerOptions,
  type TransformerDecoderOptions,
} from "./modules/transformer-decoder.js";
export {
  Transformer,
  type TransformerCallOptions,
  type TransformerOptions,
} from "./modules/transformer-model.js";
export { isParameter, Parameter } from "./parameter.js";
export {
  type CheckpointableDataLoader,
  type CheckpointableOptimizer,
  type CheckpointableScheduler,
  captureTrainingState,
  captureTrainingStateAsync,
  decodeTrainingState,
  encodeTrainingState,
  restoreTrainingState,
  type TrainingState,
} from "./training-state.js";
