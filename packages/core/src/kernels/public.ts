/**
 * Kernels over typed arrays, below the ops, for packages that write their own ops (the norms of
 * @tapegrad/layers, the optimizers of @tapegrad/optim). Each picks the WebAssembly SIMD kernel
 * over the thread pool where it applies and the JS loop elsewhere; they record nothing on the tape.
 */
export { type AdamUpdate, adamUpdate } from "./adam.js";
export {
  ROW_NORM_WASM_MIN,
  type RowNormBackwardArgs,
  type RowNormBackwardResult,
  type RowNormForwardArgs,
  type RowNormForwardResult,
  rowMeanRstd,
  rowNormBackward,
  rowNormForward,
} from "./row-norm.js";
