import { describe, expect, it } from "vitest";
import { arange, ones, type Tensor, tensor, zeros } from "../src/index.js";

// Every expected string is what PyTorch prints for the same values (with `torch.` dropped from
// dtypes and grad_fn named by our op name instead of e.g. MulBackward0).
const str = (t: Tensor) => t.toString();

describe("formatTensor", () => {
  it("prints fixed-point floats with 4 decimals and aligned columns", () => {
    expect(
      str(
        tensor([
          [1, 2.5],
          [3, 4],
        ]),
      ),
    ).toBe("tensor([[1.0000, 2.5000],\n        [3.0000, 4.0000]])");
    expect(str(tensor([-1.5, 2.25]))).toBe("tensor([-1.5000,  2.2500])");
    expect(str(tensor([0.1, 0.2]))).toBe("tensor([0.1000, 0.2000])");
    expect(str(tensor(3.5))).toBe("tensor(3.5000)");
  });

  it("prints integral floats as `1.`", () => {
    expect(str(tensor([1, 2, 3]))).toBe("tensor([1., 2., 3.])");
    expect(str(tensor([-0, 0]))).toBe("tensor([-0., 0.])");
    expect(str(tensor([0, 0]))).toBe("tensor([0., 0.])");
    expect(str(tensor([-3, 20]))).toBe("tensor([-3., 20.])");
  });

  it("switches to scientific notation when the range needs it", () => {
    expect(str(tensor([1e5, 1]))).toBe("tensor([1.0000e+05, 1.0000e+00])");
    expect(str(tensor([1e-5, 1.5]))).toBe("tensor([1.0000e-05, 1.5000e+00])");
    expect(str(tensor([123456789]))).toBe("tensor([1.2346e+08])");
    expect(str(tensor([0.5, -2000]))).toBe("tensor([ 5.0000e-01, -2.0000e+03])");
    // a ratio of exactly 1000 is not > 1000: still fixed.
    expect(str(tensor([0.001, 1], { dtype: "float64" }))).toBe(
      "tensor([0.0010, 1.0000], dtype=float64)",
    );
  });

  it("rounds exact ties half to even, as Python's format does", () => {
    expect(str(tensor([0.03125, 0.09375]))).toBe("tensor([0.0312, 0.0938])");
    expect(str(tensor([100005, 1]))).toBe("tensor([1.0000e+05, 1.0000e+00])");
    expect(str(tensor([100015, 1]))).toBe("tensor([1.0002e+05, 1.0000e+00])");
  });

  it("prints nan and inf", () => {
    expect(str(tensor([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1]))).toBe(
      "tensor([nan, inf, -inf, 1.])",
    );
    expect(str(tensor([1.5, Number.NaN]))).toBe("tensor([1.5000,    nan])");
    expect(str(tensor(Number.NaN))).toBe("tensor(nan)");
  });

  it("prints int32 and bool like PyTorch", () => {
    expect(str(arange(10))).toBe("tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], dtype=int32)");
    expect(str(tensor([1, -2, 10], { dtype: "int32" }))).toBe("tensor([ 1, -2, 10], dtype=int32)");
    expect(str(tensor([true, false]))).toBe("tensor([ True, False])");
    expect(str(tensor(true))).toBe("tensor(True)");
  });

  it("prints 3-D tensors with blank lines between blocks", () => {
    expect(str(arange(8).to("float32").reshape(2, 2, 2))).toBe(
      "tensor([[[0., 1.],\n         [2., 3.]],\n\n        [[4., 5.],\n         [6., 7.]]])",
    );
  });

  it("wraps long rows at 80 columns", () => {
    expect(str(arange(30).to("float32"))).toBe(
      "tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n" +
        "        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n" +
        "        28., 29.])",
    );
  });

  it("summarizes beyond 1000 elements with 3 edge items per dim", () => {
    expect(str(arange(1001))).toBe(
      "tensor([   0,    1,    2,  ...,  998,  999, 1000], dtype=int32)",
    );
    expect(str(arange(2000).to("float32"))).toBe(
      "tensor([0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 1.9970e+03, 1.9980e+03,\n" +
        "        1.9990e+03])",
    );
    const row = "[0., 0., 0.,  ..., 0., 0., 0.]";
    expect(str(zeros([100, 100]))).toBe(
      `tensor([${row},\n        ${row},\n        ${row},\n        ...,\n` +
        `        ${row},\n        ${row},\n        ${row}])`,
    );
  });

  it("chooses the mode from the printed elements only", () => {
    const t = ones([1001]);
    t.data[500] = 1e-6; // hidden by summarization, so it does not force scientific notation
    expect(str(t)).toBe("tensor([1., 1., 1.,  ..., 1., 1., 1.])");
  });

  it("prints empty tensors with their size", () => {
    expect(str(zeros([0]))).toBe("tensor([])");
    expect(str(zeros([0, 3]))).toBe("tensor([], size=(0, 3))");
    expect(str(zeros([2, 0], { dtype: "int32" }))).toBe("tensor([], size=(2, 0), dtype=int32)");
  });

  it("adds dtype, requires_grad and grad_fn suffixes", () => {
    expect(str(zeros([2, 3], { dtype: "float64" }))).toBe(
      "tensor([[0., 0., 0.],\n        [0., 0., 0.]], dtype=float64)",
    );
    const x = ones([2], { requiresGrad: true });
    expect(str(x)).toBe("tensor([1., 1.], requires_grad=True)");
    expect(str(x.mul(2))).toBe("tensor([2., 2.], grad_fn=<mul>)");
    expect(str(x.sum())).toBe("tensor(2., grad_fn=<sum>)");
    const d = ones([2], { dtype: "float64", requiresGrad: true });
    expect(str(d)).toBe("tensor([1., 1.], dtype=float64, requires_grad=True)");
  });

  it("moves a suffix to its own line when the last line is full", () => {
    const t = tensor(new Array(9).fill(1.5), { dtype: "float64" });
    expect(str(t)).toBe(
      "tensor([1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000, 1.5000],\n" +
        "       dtype=float64)",
    );
  });
});
