import type { Config } from "../config.js";
import type { Dataset } from "./dataset.js";
import { loadMnist } from "./mnist.js";
import { CLASS_NAMES, loadNames } from "./names.js";

export { modelShape } from "./dataset.js";

export function loadDataset(config: Pick<Config, "dataset" | "limit">): Dataset {
  const options = config.limit === null ? {} : { limit: config.limit };
  return config.dataset === "mnist" ? loadMnist(options) : loadNames(options);
}

export function classNamesOf(dataset: Config["dataset"]): string[] {
  return dataset === "mnist" ? ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] : CLASS_NAMES;
}
