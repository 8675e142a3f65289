import { Generator, mseLoss, noGrad, randn, type Tensor, tensor } from "@tapegrad/core";
import { SGD } from "@tapegrad/optim";
import { describe, expect, it } from "vitest";
import { BatchNorm1d, init, Linear, Module, Sequential } from "../src/index.js";

const MODIFIED = /modified by an inplace operation/;

class Tied extends Module {
  a = this.registerModule("a", new Linear(3, 3, { generator: new Generator(1) }));
  b = this.registerModule("b", new Linear(3, 3, { generator: new Generator(2) }));
  constructor() {
    super();
    this.b.weight = this.b.registerParameter("weight", this.a.weight);
  }
  forward(x: Tensor): Tensor {
    return this.b.forward(this.a.forward(x));
  }
}

describe("Module.to converts in place, keeping every tensor's identity (issue 9)", () => {
  it("an optimizer built before to('float64') trains the converted model", () => {
    const model = new Sequential(
      new Linear(4, 8, { generator: new Generator(3) }),
      new Linear(8, 1),
    );
    const before = model.parameters();
    const opt = new SGD(model.parameters(), { lr: 0.05 });
    model.to("float64");
    const after = model.parameters();
    expect(after).toHaveLength(before.length);
    after.forEach((p, i) => {
      expect(p).toBe(before[i]);
      expect(p.dtype).toBe("float64");
      expect(p.requiresGrad).toBe(true);
      expect(p.isLeaf).toBe(true);
    });
    const x = randn([16, 4], { dtype: "float64", generator: new Generator(4) });
    const y = x.sum(1, true);
    const lossAt = () => noGrad(() => mseLoss(model.forward(x) as Tensor, y).item());
    const start = lossAt();
    for (let i = 0; i < 20; i++) {
      opt.zeroGrad();
      mseLoss(model.forward(x) as Tensor, y).backward();
      opt.step();
    }
    expect(lossAt()).toBeLessThan(start * 0.5);
  });

  it("shared parameters, buffers, fields and gradients follow; int buffers stay int", () => {
    const tied = new Tied();
    const w = tied.a.weight;
    w.grad = randn(w.shape);
    tied.to("float64");
    expect(tied.a.weight).toBe(w);
    expect(tied.b.weight).toBe(w);
    expect(w.dtype).toBe("float64");
    expect(w.grad!.dtype).toBe("float64");
    expect(tied.parameters()).toHaveLength(3); // a.weight (shared), a.bias, b.bias

    const bn = new BatchNorm1d(3);
    const rm = bn.runningMean!;
    const nbt = bn.numBatchesTracked!;
    bn.to("float64");
    expect(bn.runningMean).toBe(rm);
    expect(bn.stateDict().running_mean).toBe(rm);
    expect(rm.dtype).toBe("float64");
    expect(nbt.dtype).toBe("int32");
  });

  it("values survive the round trip float32 → float64 → float32", () => {
    const lin = new Linear(3, 2, { generator: new Generator(5) });
    const values = lin.weight.toList();
    lin.double().float();
    expect(lin.weight.dtype).toBe("float32");
    expect(lin.weight.toList()).toEqual(values);
  });

  it("a graph recorded before to() refuses to backpropagate after it", () => {
    const lin = new Linear(2, 1);
    const loss = (lin.forward(tensor([[1, 2]])) as Tensor).sum();
    lin.to("float64");
    expect(() => loss.backward()).toThrow(MODIFIED);
  });
});

describe("layers that write tensors in place bump their versions (issue 9)", () => {
  it("loadStateDict bumps each loaded tensor, so a stale graph is refused", () => {
    const lin = new Linear(2, 1);
    const loss = (lin.forward(tensor([[1, 2]])) as Tensor).sum();
    const v = lin.weight._version;
    lin.loadStateDict(new Linear(2, 1, { generator: new Generator(9) }).stateDict());
    expect(lin.weight._version).toBe(v + 1);
    expect(() => loss.backward()).toThrow(MODIFIED);
  });

  it("the init functions bump what they fill, as PyTorch's in-place inits do", () => {
    const lin = new Linear(2, 1);
    const loss = (lin.forward(tensor([[1, 2]])) as Tensor).sum();
    const v = lin.weight._version;
    init.normal_(lin.weight, 0, 1, new Generator(1));
    init.constant_(lin.weight, 0.5);
    expect(lin.weight._version).toBe(v + 2);
    expect(() => loss.backward()).toThrow(MODIFIED);
  });

  it("BatchNorm's training forward bumps the running statistics it updates", () => {
    const bn = new BatchNorm1d(2);
    bn.forward(randn([4, 2]));
    expect(bn.runningMean!._version).toBe(1);
    expect(bn.runningVar!._version).toBe(1);
    expect(bn.numBatchesTracked!._version).toBe(1);
    bn.eval().forward(randn([4, 2]));
    expect(bn.runningMean!._version).toBe(1);
  });
});
