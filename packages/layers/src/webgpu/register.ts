// The norms' WebGPU implementations: each module registers its op with core's device registry
// as it loads. The package entry imports this once, so importing @tapegrad/layers is enough.
import "./row-norm.js";
import "./batch-norm.js";
import "./group-norm.js";
import "./instance-norm.js";
