/**
 * Node-only file helpers: checkpoints and safetensors files written atomically. The main entry
 * `@tapegrad/core` stays free of Node APIs so it runs in browsers.
 *
 * @module @tapegrad/core/node
 */
export * from "@tapegrad/core/node";
