import type { Config } from "../config.js";
import type { ModelShape } from "../model.js";
import type { Dataset } from "./dataset.js";
import { loadMnist, PATCH_DIM } from "./mnist.js";
import { CLASS_NAMES, loadNames, VOCAB } from "./names.js";

export function loadDataset(config: Pick<Config, "dataset" | "limit">): Dataset {
  const options = config.limit === null ? {} : { limit: config.limit };
  return config.dataset === "mnist" ? loadMnist(options) : loadNames(options);
}

export function modelShape(data: Dataset): ModelShape {
  return {
    input:
      data.name === "mnist"
        ? { kind: "patches", dim: PATCH_DIM }
        : { kind: "tokens", vocab: VOCAB },
    seqLen: data.seqLen,
    numClasses: data.classNames.length,
  };
}

export function classNamesOf(dataset: Config["dataset"]): string[] {
  return dataset === "mnist" ? ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"] : CLASS_NAMES;
}
