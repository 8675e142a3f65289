/**
 * A full collection when node runs with --expose-gc. tfjs frees its tensors' typed arrays on
 * dispose, leaving GBs for V8 to collect; whoever allocates next pays for it unless tfjs' timed
 * call ends with this. Without --expose-gc it does nothing.
 */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
