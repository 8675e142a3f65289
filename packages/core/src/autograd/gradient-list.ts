/**
 * What a rule returned, checked and put in the engine's order: one gradient per flat tensor
 * input (`defineOp` calls it after every rule).
 */
import type { Tensor } from "../tensor.js";
import { isTensor } from "../tensor.js";

function describe(v: unknown): string {
  if (v === null) return "null";
  if (isTensor(v)) return "a Tensor";
  if (Array.isArray(v)) return "a list";
  return `a ${typeof v}`;
}

function flagsHoldTensor(f: boolean | readonly boolean[], arg: unknown): boolean {
  return Array.isArray(f) || isTensor(arg);
}

function isGradient(g: unknown): g is Tensor | null | undefined {
  return g === null || g === undefined || isTensor(g);
}

/**
 * Check a rule's per-argument gradients and flatten them into the flat input order. A rule
 * returning the wrong number of gradients (as torch.autograd.Function would reject) or something
 * that is not a gradient is named here, rather than dropping a gradient without a word.
 */
export function flattenGradients(
  name: string,
  args: readonly unknown[],
  flags: readonly (boolean | readonly boolean[])[],
  perArg: unknown,
): (Tensor | null | undefined)[] {
  const rule = `backward: rule '${name}'`;
  if (!Array.isArray(perArg)) {
    throw new Error(
      `${rule} must return a list with one gradient per forward argument (${args.length}), ` +
        `got ${describe(perArg)}`,
    );
  }
  // One entry per argument up to the last tensor one: trailing options (a dim, a flag) need no
  // entry. Extra entries past the arguments are tolerated only when null, as in PyTorch.
  let need = 0;
  for (let i = 0; i < args.length; i++) if (flagsHoldTensor(flags[i]!, args[i])) need = i + 1;
  const extraNonNull = perArg.slice(args.length).some((g) => g !== null && g !== undefined);
  if (perArg.length < need || extraNonNull) {
    throw new Error(
      `${rule} returned an incorrect number of gradients (expected ${need < args.length ? `at least ${need}` : need}, ` +
        `got ${perArg.length})`,
    );
  }
  const flat: (Tensor | null | undefined)[] = [];
  for (let i = 0; i < args.length; i++) {
    const f = flags[i]!;
    const g: unknown = perArg[i];
    if (Array.isArray(f)) {
      if (g === null || g === undefined) {
        for (let j = 0; j < f.length; j++) flat.push(null);
        continue;
      }
      if (!Array.isArray(g)) {
        throw new Error(
          `${rule} returned ${describe(g)} for argument ${i}, a list of tensors; expected a ` +
            "list of gradients (or null)",
        );
      }
      if (g.length !== f.length) {
        throw new Error(
          `${rule} returned ${g.length} gradients for argument ${i}, a list of ${f.length} tensors`,
        );
      }
      for (let j = 0; j < f.length; j++) {
        const gj: unknown = g[j];
        if (!isGradient(gj)) {
          throw new Error(
            `${rule} returned ${describe(gj)} for element ${j} of argument ${i}; expected a ` +
              "Tensor or null",
          );
        }
        flat.push(gj);
      }
    } else if (isTensor(args[i])) {
      if (!isGradient(g)) {
        throw new Error(
          `${rule} returned ${describe(g)} for argument ${i}; expected a Tensor or null`,
        );
      }
      flat.push(g);
    }
  }
  return flat;
}
