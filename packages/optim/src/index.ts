export { Adam, type AdamInput, type AdamOptions, AdamW } from "./adam.js";
export { type ClipGradNormOptions, clipGradNorm, clipGradValue } from "./clip.js";
export { type HasLrGroups, LRScheduler, type LRSchedulerState } from "./lr-scheduler.js";
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
export { SGD, type SGDOptions } from "./sgd.js";
