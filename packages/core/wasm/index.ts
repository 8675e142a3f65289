// The entry the AssemblyScript compiler builds: every kernel family's exports.

export * from "./adam";
export * from "./attention";
export * from "./binary";
export * from "./gelu";
export * from "./gemm";
export * from "./norm";
export * from "./reduce";
export * from "./relu";
export * from "./softmax";
export * from "./transpose";
