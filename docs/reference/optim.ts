/**
 * PyTorch's optimizers (SGD, Adam, AdamW), learning-rate schedules and `LRScheduler`, and
 * gradient clipping.
 *
 * ```sh
 * npm install @tapegrad/core @tapegrad/optim
 * ```
 *
 * Guide and examples: [packages/optim/README.md](https://github.com/tapegrad/tapegrad/tree/main/packages/optim#readme).
 *
 * @module @tapegrad/optim
 */
export * from "@tapegrad/optim";
