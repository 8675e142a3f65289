import { type Tensor, tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { Adam, AdamW, type OptimizerStateDict, SGD } from "../src/index.js";
import { param, setQuadGrad } from "./helpers.js";

const C = [0.3, -0.2, 0.7, 0.1, -0.4];

function makeParams(): Tensor[] {
  return [param([1, -2], "float32"), param([0.5, 3, -1], "float64")];
}
function copyParams(ps: Tensor[]): Tensor[] {
  return ps.map((p) => tensor(Array.from(p.data), { dtype: p.dtype, requiresGrad: true }));
}
function stepQuad(opt: { step(): void }, ps: Tensor[], t: number): void {
  // A different target per step, so the trajectory depends on the whole state.
  setQuadGrad(
    ps[0]!,
    C.slice(0, 2).map((c) => c * t),
  );
  setQuadGrad(
    ps[1]!,
    C.slice(2).map((c) => c - t),
  );
  opt.step();
}
/** What a checkpoint does: tensors kept as tensors, meta through JSON text. */
function throughJson(sd: OptimizerStateDict): OptimizerStateDict {
  return { state: sd.state, meta: JSON.parse(JSON.stringify(sd.meta)) };
}

type Make = (ps: Tensor[]) => {
  step(): void;
  stateDict(): OptimizerStateDict;
  loadStateDict(sd: OptimizerStateDict): void;
};

const makers: Record<string, Make> = {
  "SGD nesterov": (ps) =>
    new SGD([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.02 }], {
      lr: 0.05,
      momentum: 0.9,
      nesterov: true,
    }),
  "Adam amsgrad": (ps) =>
    new Adam([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.02 }], {
      lr: 0.05,
      amsgrad: true,
      weightDecay: 0.1,
    }),
  AdamW: (ps) =>
    new AdamW([{ params: [ps[0]!], weightDecay: 0 }, { params: [ps[1]!] }], { lr: 0.05 }),
};

describe("stateDict / loadStateDict", () => {
  for (const [name, make] of Object.entries(makers)) {
    it(`${name}: a fresh optimizer loaded from A's state steps bitwise like A`, () => {
      const pa = makeParams();
      const a = make(pa);
      for (let t = 1; t <= 3; t++) stepQuad(a, pa, t);
      const sd = throughJson(a.stateDict());
      const pb = copyParams(pa);
      const b = make(pb);
      b.loadStateDict(sd);
      for (let t = 4; t <= 6; t++) {
        stepQuad(a, pa, t);
        stepQuad(b, pb, t);
        for (let i = 0; i < pa.length; i++)
          expect(Array.from(pb[i]!.data)).toEqual(Array.from(pa[i]!.data));
      }
      // A fresh optimizer without the state would have taken a different path.
      const pc = copyParams(pb);
      const c = make(pc);
      const pd = copyParams(pb);
      const d = make(pd);
      d.loadStateDict(b.stateDict());
      stepQuad(c, pc, 7);
      stepQuad(d, pd, 7);
      expect(Array.from(pc[1]!.data)).not.toEqual(Array.from(pd[1]!.data));
    });
  }

  it("layout: PyTorch-style keys, JSON-safe meta, state in each parameter's dtype, a snapshot", () => {
    const ps = makeParams();
    const opt = new Adam([{ params: [ps[0]!] }, { params: [ps[1]!], lr: 0.02 }], {
      lr: 0.05,
      amsgrad: true,
    });
    for (let t = 1; t <= 2; t++) stepQuad(opt, ps, t);
    const sd = opt.stateDict();
    expect(Object.keys(sd.state).sort()).toEqual([
      "state.0.exp_avg",
      "state.0.exp_avg_sq",
      "state.0.max_exp_avg_sq",
      "state.1.exp_avg",
      "state.1.exp_avg_sq",
      "state.1.max_exp_avg_sq",
    ]);
    expect(sd.state["state.0.exp_avg"]!.dtype).toBe("float32");
    expect(sd.state["state.1.exp_avg"]!.dtype).toBe("float64");
    expect(sd.state["state.1.exp_avg"]!.shape).toEqual([3]);
    expect(sd.meta).toEqual({
      optimizer: "Adam",
      groups: [
        {
          lr: 0.05,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0,
          amsgrad: true,
          maximize: false,
          params: [0],
        },
        {
          lr: 0.02,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0,
          amsgrad: true,
          maximize: false,
          params: [1],
        },
      ],
      steps: { "0": 2, "1": 2 },
    });
    expect(JSON.parse(JSON.stringify(sd.meta))).toEqual(sd.meta);
    const saved = Array.from(sd.state["state.1.exp_avg"]!.data);
    stepQuad(opt, ps, 3);
    expect(Array.from(sd.state["state.1.exp_avg"]!.data)).toEqual(saved);
  });

  it("loading restores group options such as a scheduled lr", () => {
    const a = new SGD([param([1])], { lr: 0.1 });
    a.paramGroups[0]!.lr = 0.0123;
    const b = new SGD([param([1])], { lr: 0.1 });
    b.loadStateDict(a.stateDict());
    expect(b.paramGroups[0]!.lr).toBe(0.0123);
  });

  it("rejects a state dict that does not fit, by message, and leaves the optimizer unchanged", () => {
    const ps = makeParams();
    const a = new Adam(ps, { lr: 0.1 });
    stepQuad(a, ps, 1);
    const sd = a.stateDict();
    const three = [...copyParams(ps), param([1])];
    expect(() => new Adam(three).loadStateDict(sd)).toThrow(
      /Adam.loadStateDict: group 0 has 2 parameters in the state dict but 3 in the optimizer/,
    );
    expect(() => new Adam([{ params: [ps[0]!] }, { params: [ps[1]!] }]).loadStateDict(sd)).toThrow(
      /state dict has 1 parameter groups, optimizer has 2/,
    );
    const swapped = [param([1, 2, 3]), param([1, 2])];
    expect(() => new Adam(swapped).loadStateDict(sd)).toThrow(
      /state.0.exp_avg has shape \[2\] but parameter 0 has shape \[3\]/,
    );
    expect(() => new SGD(copyParams(ps), { lr: 0.1 }).loadStateDict(sd)).toThrow(
      /SGD.loadStateDict: state dict is from Adam, not SGD/,
    );
    expect(() => new AdamW(copyParams(ps)).loadStateDict(sd)).toThrow(/from Adam, not AdamW/);
    const badKey = { state: { "0.exp_avg": sd.state["state.0.exp_avg"]! }, meta: sd.meta };
    expect(() => new Adam(copyParams(ps)).loadStateDict(badKey)).toThrow(
      /bad state key "0.exp_avg"/,
    );
    const badLr = {
      state: sd.state,
      meta: { ...sd.meta, groups: [{ ...sd.meta.groups[0]!, lr: -1 }] },
    };
    const target = new Adam(copyParams(ps), { lr: 0.5 });
    expect(() => target.loadStateDict(badLr)).toThrow(/invalid learning rate value: -1/);
    expect(target.paramGroups[0]!.lr).toBe(0.5);
    expect(target.stateDict().state).toEqual({});
  });
});
