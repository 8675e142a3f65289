/**
 * Loads the WebGPU implementations of the ops (each module registers its ops with the device
 * registry as it loads). The entry point imports this once.
 */
import "./ops-elementwise.js";
import "./ops-reduce.js";
import "./ops-indexing.js";
import "./ops-join.js";
import "./ops-random.js";
import "./ops-layout.js";
import "./ops-matmul.js";
import "./ops-attention.js";
import "./ops-reduce-more.js";
import "./softmax.js";
import "./ops-elementwise-more.js";
import "./ops-loss.js";
import "./ops-norm.js";
import "./erfinv.js";
import "./argsort.js";
import "./one-hot.js";
import "./sampling.js";
