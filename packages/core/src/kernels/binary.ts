import type { BinaryRowKernel } from "./broadcast.js";

// One row kernel per op: the loop body is the op, so V8 keeps each loop monomorphic.
// Strides are 0 (broadcast) or 1; the fast paths for the common cases avoid the multiply.

export const addRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  if (as === 1 && bs === 1) for (let i = 0; i < n; i++) o[oo + i] = a[ao + i]! + b[bo + i]!;
  else if (bs === 0) {
    const v = b[bo]!;
    for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! + v;
  } else for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! + b[bo + i * bs]!;
};

export const subRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  if (as === 1 && bs === 1) for (let i = 0; i < n; i++) o[oo + i] = a[ao + i]! - b[bo + i]!;
  else if (bs === 0) {
    const v = b[bo]!;
    for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! - v;
  } else for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! - b[bo + i * bs]!;
};

export const mulRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  if (as === 1 && bs === 1) for (let i = 0; i < n; i++) o[oo + i] = a[ao + i]! * b[bo + i]!;
  else if (bs === 0) {
    const v = b[bo]!;
    for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! * v;
  } else for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! * b[bo + i * bs]!;
};

export const divRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! / b[bo + i * bs]!;
};

/** Integer division semantics are not needed: int32 / int32 promotes to float32 beforehand. */
export const powRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) o[oo + i] = a[ao + i * as]! ** b[bo + i * bs]!;
};

// maximum/minimum propagate NaN, as torch.maximum does.
export const maximumRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) {
    const x = a[ao + i * as]!;
    const y = b[bo + i * bs]!;
    o[oo + i] = x !== x || y !== y ? Number.NaN : x >= y ? x : y;
  }
};

export const minimumRow: BinaryRowKernel = (o, oo, a, ao, as, b, bo, bs, n) => {
  for (let i = 0; i < n; i++) {
    const x = a[ao + i * as]!;
    const y = b[bo + i * bs]!;
    o[oo + i] = x !== x || y !== y ? Number.NaN : x <= y ? x : y;
  }
};
