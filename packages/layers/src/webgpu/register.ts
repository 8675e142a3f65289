// The norms' WebGPU implementations: each module registers its op with core's device registry
// as it loads. The package entry imports this once, so importing @tapegrad/layers is enough.
import "./row-norm.js";
import "./batch-norm.js";
import "./group-norm.js";
import "./instance-norm.js";
// The convolutions' im2col/col2im, the pools, interpolate and local response norm.
import "./im2col.js";
import "./route.js";
import "./pool.js";
import "./interpolate.js";
import "./lrn.js";
// The recurrent layers' one-op split.
import "./split.js";
