import { describe, expect, it } from "vitest";
import { defineOp, type GradientList, type Tensor, tensor } from "../src/index.js";

const leaf = (data: number[]) => tensor(data, { requiresGrad: true });

/** A two-argument op y = a·b whose backward returns whatever `rule` gives. */
function mulWith(name: string, rule: (a: Tensor, b: Tensor, dy: Tensor) => unknown) {
  return defineOp<[Tensor, Tensor], Tensor, [Tensor, Tensor]>({
    name,
    forward(ctx, a, b) {
      ctx.save([a, b]);
      return a.mul(b);
    },
    backward(ctx, dy) {
      const [a, b] = ctx.saved;
      return rule(a, b, dy) as GradientList;
    },
  });
}

describe("defineOp checks what a backward rule returns (issue 9)", () => {
  it("too few gradients is an error naming the rule and both counts", () => {
    const op = mulWith("halfMul", (_a, b, dy) => [dy.mul(b)]);
    const a = leaf([1, 2]);
    const b = leaf([3, 4]);
    expect(() => op(a, b).sum().backward()).toThrow(
      /^backward: rule 'halfMul' returned an incorrect number of gradients \(expected 2, got 1\)/,
    );
    expect(a.grad).toBeNull();
  });

  it("too many non-null gradients is an error; extra nulls are allowed, as in PyTorch", () => {
    const extra = mulWith("extraMul", (a, b, dy) => [dy.mul(b), dy.mul(a), dy]);
    expect(() =>
      extra(leaf([1]), leaf([2]))
        .sum()
        .backward(),
    ).toThrow(/rule 'extraMul' returned an incorrect number of gradients \(expected 2, got 3\)/);
    const nulls = mulWith("nullsMul", (a, b, dy) => [dy.mul(b), dy.mul(a), null, undefined]);
    const a = leaf([1]);
    nulls(a, leaf([2]))
      .sum()
      .backward();
    expect(a.grad!.toList()).toEqual([2]);
  });

  it("trailing options (not tensors) need no entry", () => {
    const scale = defineOp<[Tensor, number], Tensor, number>({
      name: "scale",
      forward(ctx, x, k) {
        ctx.save(k);
        return x.mul(k);
      },
      backward(ctx, dy) {
        return [dy.mul(ctx.saved)];
      },
    });
    const x = leaf([1, 2]);
    scale(x, 3).sum().backward();
    expect(x.grad!.toList()).toEqual([3, 3]);
  });

  it("a bare Tensor or a number instead of a list is an error", () => {
    const bare = mulWith("bareMul", (_a, b, dy) => dy.mul(b));
    expect(() =>
      bare(leaf([1]), leaf([2]))
        .sum()
        .backward(),
    ).toThrow(
      /^backward: rule 'bareMul' must return a list with one gradient per forward argument \(2\), got a Tensor/,
    );
    const num = mulWith("numMul", () => 3);
    expect(() =>
      num(leaf([1]), leaf([2]))
        .sum()
        .backward(),
    ).toThrow(/rule 'numMul' must return a list .* got a number/);
  });

  it("an entry that is not a Tensor or null is an error naming the argument", () => {
    const op = mulWith("numEntry", (_a, b, dy) => [dy.mul(b), 0]);
    expect(() =>
      op(leaf([1]), leaf([2]))
        .sum()
        .backward(),
    ).toThrow(
      /^backward: rule 'numEntry' returned a number for argument 1; expected a Tensor or null/,
    );
  });

  it("an array argument needs an array of gradients of the same length", () => {
    const sumAll = (name: string, rule: (dy: Tensor) => unknown) =>
      defineOp<[Tensor[]], Tensor, number>({
        name,
        forward(ctx, xs) {
          ctx.save(xs.length);
          return xs.reduce((s, x) => s.add(x));
        },
        backward(_ctx, dy) {
          return rule(dy) as GradientList;
        },
      });
    const xs = [leaf([1]), leaf([2])];
    expect(() =>
      sumAll("shortList", (dy) => [[dy]])(xs)
        .sum()
        .backward(),
    ).toThrow(/rule 'shortList' returned 1 gradients for argument 0, a list of 2 tensors/);
    expect(() =>
      sumAll("flat", (dy) => [dy])(xs)
        .sum()
        .backward(),
    ).toThrow(
      /rule 'flat' returned a Tensor for argument 0, a list of tensors; expected a list of gradients/,
    );
    const ok = sumAll("okList", (dy) => [[dy, dy]]);
    const ys = [leaf([1]), leaf([2])];
    ok(ys).sum().backward();
    expect(ys.map((y) => y.grad!.item())).toEqual([1, 1]);
  });
});
