import type { TypedArray } from "../dtype.js";

/**
 * Row-broadcast kernels for the most common broadcast — a full [rows, n] operand with an [n]
 * operand repeated on every row (a bias, a per-feature scale). One function holds both loops,
 * which V8 compiles as tightly as a hand-written loop; the general driver's per-row calls cost
 * up to 2× more here. `rowFirst` says whether the repeated row is the left operand.
 */
export type RowsKernel = (
  o: TypedArray,
  full: TypedArray,
  row: TypedArray,
  rows: number,
  n: number,
  rowFirst: boolean,
) => void;

export const addRows: RowsKernel = (o, full, row, rows, n) => {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let i = 0; i < n; i++) o[base + i] = full[base + i]! + row[i]!;
  }
};

export const mulRows: RowsKernel = (o, full, row, rows, n) => {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let i = 0; i < n; i++) o[base + i] = full[base + i]! * row[i]!;
  }
};

export const subRows: RowsKernel = (o, full, row, rows, n, rowFirst) => {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    if (rowFirst) for (let i = 0; i < n; i++) o[base + i] = row[i]! - full[base + i]!;
    else for (let i = 0; i < n; i++) o[base + i] = full[base + i]! - row[i]!;
  }
};

export const divRows: RowsKernel = (o, full, row, rows, n, rowFirst) => {
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    if (rowFirst) for (let i = 0; i < n; i++) o[base + i] = row[i]! / full[base + i]!;
    else for (let i = 0; i < n; i++) o[base + i] = full[base + i]! / row[i]!;
  }
};
