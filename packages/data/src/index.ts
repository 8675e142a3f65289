export { type Collated, defaultCollate } from "./collate.js";
export {
  DataLoader,
  type DataLoaderOptions,
  type DataLoaderState,
  type DataSource,
} from "./data-loader.js";
export {
  ConcatDataset,
  Dataset,
  IterableDataset,
  type MapDataset,
  randomSplit,
  Subset,
  TensorDataset,
} from "./dataset.js";
export { randperm } from "./random.js";
export {
  BatchSampler,
  RandomSampler,
  type RandomSamplerOptions,
  type Sampler,
  SequentialSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
} from "./sampler.js";
