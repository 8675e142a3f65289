/**
 * Argument checks for layer constructors and calls, so a bad size is reported by the layer that
 * was given it (`Linear: inFeatures must be …`), not by whichever tensor factory it reached first.
 */
import { isTensor, type Tensor } from "@tapegrad/core";

function shown(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(shown).join(", ")}]`;
  return String(v);
}

/** A size: an integer ≥ 0 (or ≥ 1 with `positive`). */
export function checkSize(op: string, arg: string, value: unknown, positive = false): number {
  const ok = Number.isInteger(value) && (value as number) >= (positive ? 1 : 0);
  if (!ok) {
    throw new Error(
      `${op}: ${arg} must be a ${positive ? "positive" : "non-negative"} integer, got ${shown(value)}`,
    );
  }
  return value as number;
}

/** A shape given as a number or a list: every entry an integer ≥ 0. */
export function checkShapeArg(op: string, arg: string, value: unknown): number[] {
  const list = typeof value === "number" ? [value] : value;
  if (!Array.isArray(list) || !list.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new Error(`${op}: ${arg} must hold non-negative integers, got ${shown(list)}`);
  }
  return list as number[];
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  return typeof v === "object" ? "an object" : `a ${typeof v}`;
}

/** A tensor argument: plain arrays are not converted, they are an error naming the argument. */
export function checkTensor(op: string, arg: string, value: unknown): asserts value is Tensor {
  if (!isTensor(value)) throw new Error(`${op}: ${arg} must be a Tensor, got ${kind(value)}`);
}

/** An optional tensor argument: a Tensor, null or undefined. */
export function checkOptionalTensor(op: string, arg: string, value: unknown): void {
  if (value !== null && value !== undefined && !isTensor(value)) {
    throw new Error(`${op}: ${arg} must be a Tensor (or null), got ${kind(value)}`);
  }
}
