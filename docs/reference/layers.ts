/**
 * Modules with PyTorch's names and state-dict keys: `Module` and containers, Linear, Conv2d,
 * Embedding, the normalization layers with hand-derived backwards, residual and dense blocks,
 * attention and the Transformer encoder, initializers and training-state checkpoints.
 *
 * ```sh
 * npm install @tapegrad/core @tapegrad/layers
 * ```
 *
 * Guide and examples: [packages/layers/README.md](https://github.com/tapegrad/tapegrad/tree/main/packages/layers#readme).
 *
 * @module @tapegrad/layers
 */
export * from "@tapegrad/layers";
