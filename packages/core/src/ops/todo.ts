/** Placeholder for ops that are being written; throws a clear error if called. */
export function todo(name: string): never {
  throw new Error(`${name}: not implemented yet`);
}
