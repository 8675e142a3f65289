/**
 * The peers, loaded once per process: jax-js with its WebAssembly backend (`init("wasm")`, used
 * with `jit`), and tfjs-core on its WebAssembly backend. Both are devDependencies of this app only.
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
// tfjs-core's node bundle registers no gradient rules; tfjs-layers' bundle registers all of them.
import "@tensorflow/tfjs-layers";

export type Jax = typeof import("@jax-js/jax");

let jax: Jax | null = null;

export async function loadPeers(): Promise<{ jax: Jax; tf: typeof tf }> {
  if (jax === null) {
    const j = await import("@jax-js/jax");
    const devices = await j.init("wasm");
    if (!devices.includes("wasm")) throw new Error(`jax-js: no wasm device (got ${devices})`);
    j.defaultDevice("wasm");
    jax = j;
    // Production mode: tfjs skips its debug checks (a fair comparison) and its Node.js banner.
    tf.enableProdMode();
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the wasm backend did not start");
    await tf.ready();
  }
  return { jax, tf };
}

export function peerVersions(): string {
  return `jax-js ${jaxVersion()} (wasm, jit), tfjs-core ${tf.version_core} (${tf.getBackend()})`;
}

function jaxVersion(): string {
  // biome-ignore lint/suspicious/noExplicitAny: the package exposes no version field in its types.
  return ((jax as any)?.version as string | undefined) ?? "0.1.25";
}
