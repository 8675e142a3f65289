import { defineConfig } from "vite";

/**
 * Cross-origin isolation (COOP + COEP) lets a page share memory with its workers
 * (SharedArrayBuffer), which multi-threaded kernels need. Any static host can send these two
 * headers; docs/browser.md says how.
 */
export const isolationHeaders = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
};

export default defineConfig({
  server: { headers: isolationHeaders },
  preview: { headers: isolationHeaders },
  worker: { format: "es" },
  build: {
    target: "es2022",
    // The worker carries the 10,000 MNIST digits (21 MB of JSON text, about 2.5 MB gzipped).
    chunkSizeWarningLimit: 25_000,
  },
});
