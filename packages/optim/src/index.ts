export { Adagrad, type AdagradOptions } from "./adagrad.js";
export { Adam, type AdamInput, type AdamOptions, AdamW } from "./adam.js";
export { Adamax, type AdamaxOptions } from "./adamax.js";
export {
  type ClipGradNormOptions,
  clipGradNorm,
  clipGradNormTensor,
  clipGradValue,
} from "./clip.js";
export { CyclicLR, type CyclicLROptions, type CyclicOptions, cyclic } from "./cyclic.js";
export { type HasLrGroups, LRScheduler, type LRSchedulerState } from "./lr-scheduler.js";
export { NAdam, type NAdamOptions } from "./nadam.js";
export {
  type BaseOptions,
  Optimizer,
  type OptimizerStateDict,
  type OptimizerStateMeta,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
} from "./optimizer.js";
export {
  ReduceLROnPlateau,
  type ReduceLROnPlateauOptions,
  type ReduceLROnPlateauState,
} from "./plateau.js";
export { RAdam, type RAdamOptions } from "./radam.js";
export { RMSprop, type RMSpropOptions } from "./rmsprop.js";
export {
  chain,
  constant,
  cosineDecay,
  lambdaSchedule,
  linearWarmup,
  type OneCycleOptions,
  oneCycle,
  type Schedule,
  sequential,
  stepDecay,
} from "./schedules.js";
export {
  constantFactor,
  cosineWarmRestarts,
  exponentialDecay,
  multiStepDecay,
  polynomialDecay,
  type WarmRestartOptions,
} from "./schedules-decay.js";
export { SGD, type SGDOptions } from "./sgd.js";
