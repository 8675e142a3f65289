import { describe, expect, it } from "vitest";
import { crossEntropy, defineOp, noGrad, type Tensor, tensor, zeros } from "../src/index.js";

const leaf = (data: number[]) => tensor(data, { requiresGrad: true });
const MODIFIED =
  /^backward: one of the variables needed for gradient computation has been modified by an inplace operation/;

describe("in-place writes bump a version counter (issue 9)", () => {
  it("copy_, fill_, zero_ and markModified each bump _version", () => {
    const x = tensor([1, 2]);
    expect(x._version).toBe(0);
    x.copy_(tensor([3, 4]));
    expect(x.toList()).toEqual([3, 4]);
    x.fill_(7);
    expect(x.toList()).toEqual([7, 7]);
    x.zero_();
    expect(x.toList()).toEqual([0, 0]);
    x.data[0] = 9; // a raw write is invisible to the counter…
    expect(x._version).toBe(3);
    x.markModified(); // …until the writer says so
    expect(x._version).toBe(4);
  });

  it("views that share data share the counter: detach, reshape", () => {
    const x = tensor([1, 2, 3, 4]);
    const d = x.detach();
    const r = x.reshape(2, 2);
    r.fill_(0);
    expect([x._version, d._version, r._version]).toEqual([1, 1, 1]);
    expect(x.clone()._version).toBe(0);
  });

  it("copy_ broadcasts and casts; a shape that does not broadcast is named", () => {
    const x = zeros([2, 3], { dtype: "int32" });
    x.copy_(tensor([1.9, -2.5, 3]));
    expect(x.toArray()).toEqual([
      [1, -2, 3],
      [1, -2, 3],
    ]);
    expect(() => x.copy_(tensor([1, 2]))).toThrow(
      /^copy_: src of shape \[2\] cannot be broadcast to this tensor's shape \[2, 3\]/,
    );
    expect(() => x.fill_(0.5)).toThrow(/^fill_: value 0\.5 is not an integer/);
  });

  it("in-place writes to a tensor that requires grad are refused while recording", () => {
    const w = leaf([1, 2]);
    expect(() => w.fill_(0)).toThrow(
      /^fill_: a tensor that requires grad cannot be modified in place while recording/,
    );
    noGrad(() => w.fill_(0));
    expect(w.toList()).toEqual([0, 0]);
  });
});

describe("backward refuses a saved tensor that was modified in place (issue 9)", () => {
  it("y = x·x, then x changed: PyTorch's error naming the op, shape and versions", () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    noGrad(() => x.copy_(tensor([5, 6])));
    expect(() => y.backward()).toThrow(MODIFIED);
    expect(() => x.mul(x).sum().backward()).not.toThrow();
    const z = x.mul(x).sum();
    noGrad(() => x.fill_(1));
    expect(() => z.backward()).toThrow(
      /the float32 \[2\] tensor saved by 'mul' is at version 2; expected version 1 instead/,
    );
  });

  it("an op's output saved for backward (exp) and then written is caught too", () => {
    const x = leaf([0, 1]);
    const y = x.exp();
    const loss = y.sum();
    noGrad(() => y.zero_());
    expect(() => loss.backward()).toThrow(/saved by 'exp'/);
  });

  it("a raw write followed by markModified() is caught, as an optimizer step would be", () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    x.data[0] = 10;
    x.markModified();
    expect(() => y.backward()).toThrow(MODIFIED);
  });

  it("a typed array a rule saved (crossEntropy's class weight) is checked as well", () => {
    const logits = tensor([[1, 2, 3]], { requiresGrad: true });
    const weight = tensor([1, 2, 3]);
    const loss = crossEntropy(logits, tensor([2], { dtype: "int32" }), { weight });
    weight.fill_(5);
    expect(() => loss.backward()).toThrow(/a float32 array of 3 elements saved by 'crossEntropy'/);
  });

  it("a user op's saved tensors are checked, nested in objects and arrays", () => {
    const op = defineOp<[Tensor], Tensor, { parts: Tensor[] }>({
      name: "square2",
      forward(ctx, x) {
        ctx.save({ parts: [x] });
        return x.mul(x);
      },
      backward(ctx, dy) {
        return [dy.mul(ctx.saved.parts[0]!).mul(2)];
      },
    });
    const x = leaf([3]);
    const y = op(x);
    noGrad(() => x.fill_(4));
    expect(() => y.backward()).toThrow(/saved by 'square2'/);
  });

  it("set_ swaps storage (data, shape, dtype) of a leaf; a graph that saved it is refused", () => {
    const x = leaf([1, 2]);
    const y = x.mul(x).sum();
    noGrad(() => x.set_(tensor([1, 2, 3], { dtype: "float64" })));
    expect(x.dtype).toBe("float64");
    expect(x.shape).toEqual([3]);
    expect(x.requiresGrad).toBe(true);
    expect(() => y.backward()).toThrow(/the float32 \[2\] tensor saved by 'mul' has been replaced/);
    expect(() => noGrad(() => x.set_(tensor([true])))).toThrow(
      /^set_: a tensor that requires grad must stay float, got bool/,
    );
    expect(() => x.mul(2).set_(tensor([1]))).toThrow(/^set_: only a leaf tensor/);
  });
});

describe("data cannot be re-assigned (issue 9)", () => {
  it("x.data = … throws and leaves the tensor as it was", () => {
    const x = tensor([1, 2]);
    expect(() => {
      (x as unknown as { data: Float32Array }).data = new Float32Array(5);
    }).toThrow(/^Tensor\.data cannot be re-assigned/);
    expect(x.size).toBe(2);
    expect(() => {
      (x as unknown as { shape: number[] }).shape = [5];
    }).toThrow(/shape cannot be re-assigned/);
    expect(() => {
      (x as unknown as { dtype: string }).dtype = "float64";
    }).toThrow(/dtype cannot be re-assigned/);
  });
});
