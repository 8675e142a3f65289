import type { BinaryRowKernel } from "./broadcast.js";

// Comparison row kernels for the broadcast driver: they write 1/0 into a bool (Uint8Array) row.
// NaN compares unequal to everything, so only `ne` is true for it, as in IEEE and PyTorch.

export const eqRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! === b[bo + i * bs]! ? 1 : 0;
};
export const neRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! !== b[bo + i * bs]! ? 1 : 0;
};
export const ltRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! < b[bo + i * bs]! ? 1 : 0;
};
export const leRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! <= b[bo + i * bs]! ? 1 : 0;
};
export const gtRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! > b[bo + i * bs]! ? 1 : 0;
};
export const geRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! >= b[bo + i * bs]! ? 1 : 0;
};

/**
 * The second half of `where`: `o` already holds `a` broadcast to the output; replace it by `b`
 * where the condition `c` is false. Reading `o` in place spares a third operand in the driver.
 */
export const selectElseRow: BinaryRowKernel = (o, oo, c, co, cs, b, bo, bs, n) => {
  if (cs === 1 && bs === 1) {
    for (let i = 0; i < n; i++) if (c[co + i] === 0) o[oo + i] = b[bo + i]!;
  } else if (bs === 0) {
    const v = b[bo]!;
    for (let i = 0; i < n; i++) if (c[co + i * cs] === 0) o[oo + i] = v;
  } else for (let i = 0; i < n; i++) if (c[co + i * cs] === 0) o[oo + i] = b[bo + i * bs]!;
};
