/**
 * Tensors, the tape and reverse-mode backward, every op with its backward rule, `defineOp` for
 * hand-derived ops, `gradcheck`, seeded random numbers and safetensors.
 *
 * ```sh
 * npm install @tapegrad/core
 * ```
 *
 * Guide and examples: [packages/core/README.md](https://github.com/tapegrad/tapegrad/tree/main/packages/core#readme).
 *
 * @module @tapegrad/core
 */
export * from "@tapegrad/core";
