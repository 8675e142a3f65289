import { fmtShape, isTensor, stack, type Tensor, tensor } from "@tapegrad/core";

/**
 * What `defaultCollate` makes of a list of examples of type T: tensors are stacked along a new
 * first dimension, numbers and booleans become a 1-d tensor, strings a string array, and
 * tuples and objects are collated field by field.
 */
export type Collated<T> = T extends Tensor
  ? Tensor
  : T extends number | boolean
    ? Tensor
    : T extends string
      ? string[]
      : T extends readonly unknown[]
        ? { -readonly [K in keyof T]: Collated<T[K]> }
        : T extends object
          ? { [K in keyof T]: Collated<T[K]> }
          : T[];

function describe(v: unknown): string {
  if (isTensor(v)) return `a Tensor ${fmtShape(v.shape)}`;
  if (Array.isArray(v)) return `an array of ${v.length}`;
  return v === null ? "null" : typeof v;
}

function collate(samples: readonly unknown[], path: string): unknown {
  const first = samples[0];
  const mismatch = samples.findIndex(
    (s) =>
      typeof s !== typeof first ||
      isTensor(s) !== isTensor(first) ||
      Array.isArray(s) !== Array.isArray(first),
  );
  if (mismatch >= 0) {
    throw new Error(
      `defaultCollate: example ${mismatch}${path} is ${describe(samples[mismatch])} but example 0${path} is ${describe(first)}`,
    );
  }
  if (isTensor(first)) {
    const tensors = samples as Tensor[];
    const bad = tensors.findIndex(
      (t) =>
        t.dtype !== first.dtype ||
        t.shape.some((d, i) => d !== first.shape[i]) ||
        t.ndim !== first.ndim,
    );
    if (bad >= 0) {
      const t = tensors[bad]!;
      throw new Error(
        `defaultCollate: cannot stack example ${bad}${path} (${t.dtype} ${fmtShape(t.shape)}) ` +
          `with example 0 (${first.dtype} ${fmtShape(first.shape)}); pad them in a collate function`,
      );
    }
    // Examples never carry a graph into the batch.
    return stack(
      tensors.map((t) => (t.requiresGrad ? t.detach() : t)),
      0,
    );
  }
  if (typeof first === "number") return tensor(samples as number[]);
  if (typeof first === "boolean") return tensor(samples as boolean[]);
  if (typeof first === "string") return [...samples];
  if (Array.isArray(first)) {
    const bad = samples.findIndex((s) => (s as unknown[]).length !== first.length);
    if (bad >= 0) {
      throw new Error(
        `defaultCollate: example ${bad}${path} has ${(samples[bad] as unknown[]).length} fields but example 0 has ${first.length}`,
      );
    }
    return first.map((_, i) =>
      collate(
        samples.map((s) => (s as unknown[])[i]),
        `${path}[${i}]`,
      ),
    );
  }
  if (first !== null && typeof first === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(first)) {
      out[key] = collate(
        samples.map((s) => (s as Record<string, unknown>)[key]),
        `${path}.${key}`,
      );
    }
    return out;
  }
  return [...samples];
}

/** PyTorch's default_collate, for tensors, numbers, booleans, strings, tuples and objects. */
export function defaultCollate<T>(samples: readonly T[]): Collated<T> {
  if (samples.length === 0) throw new Error("defaultCollate: got an empty batch");
  return collate(samples, "") as Collated<T>;
}
