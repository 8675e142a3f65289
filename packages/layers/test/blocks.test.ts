import { Generator, gradcheck, machineEpsilon, noGrad, type Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  AddNorm,
  avgPool2d,
  BasicBlock,
  Bottleneck,
  DenseBlock,
  DenseLayer,
  type LayerNorm,
  Linear,
  type Module,
  Residual,
  type RMSNorm,
  Sequential,
  Tanh,
  Transition,
} from "../src/index.js";
import { leaf, randT, weightedSum } from "./module-helpers.js";

const f64 = { dtype: "float64" as const };
const gen = (s: number) => ({ ...f64, generator: new Generator(s) });

/** Gradients of Σ out·v with respect to x and every parameter, in parameter order. */
function grads(
  m: Module,
  x: Tensor,
  run: (x: Tensor) => Tensor,
): { out: Tensor; gx: Tensor; gp: Tensor[] } {
  m.zeroGrad();
  const xl = leaf(x);
  const out = run(xl);
  weightedSum(out).backward();
  return { out, gx: xl.grad!, gp: m.parameters().map((p) => p.grad!) };
}

describe("Residual", () => {
  it("identity shortcut: y = x + F(x), and dx = dy + J_Fᵀ dy", () => {
    const f = new Sequential(new Linear(4, 4, gen(1)), new Tanh());
    const r = new Residual(f);
    const x = randT([3, 4], 2);
    const { out, gx } = grads(r, x, (x) => r.forward(x));
    expect(out).toBeAllClose(
      noGrad(() => x.add(f.forward(x))),
      { atol: 1e-14 },
    );
    // The path through F alone, then add the identity path's dy.
    const xl = leaf(x);
    weightedSum(f.forward(xl)).backward();
    const v = randT(out.shape, 99);
    expect(gx).toBeAllClose(
      noGrad(() => xl.grad!.add(v)),
      { atol: 1e-14 },
    );
    expect(gradcheck((x) => r.forward(x!), [leaf(x)]).ok).toBe(true);
  });

  it("projection shortcut: y = P(x) + F(x)", () => {
    const f = new Linear(4, 6, gen(3));
    const p = Residual.linearProjection(4, 6, gen(4));
    expect(p.bias).toBeNull();
    const r = new Residual(f, { shortcut: p });
    const x = randT([2, 4], 5);
    expect(r.forward(x)).toBeAllClose(
      noGrad(() => p.forward(x).add(f.forward(x))),
      { atol: 1e-14 },
    );
    expect(Object.keys(r.stateDict()).sort()).toEqual(["fn.bias", "fn.weight", "shortcut.weight"]);
    expect(gradcheck((x) => r.forward(x!), [leaf(x)]).ok).toBe(true);
  });

  it("a shape change without a projection is an error naming both shapes", () => {
    const r = new Residual(new Linear(4, 6));
    expect(() => r.forward(randT([2, 4], 1, { dtype: "float32" }))).toThrow(
      /Residual: F\(x\) has shape \[2, 6\] but the shortcut gives \[2, 4\]; pass a projection shortcut/,
    );
  });
});

describe("ResNet blocks", () => {
  it("BasicBlock: stride 1 keeps the shape, stride 2 halves it and projects", () => {
    const x = randT([2, 4, 8, 8], 1, { dtype: "float32" });
    const same = new BasicBlock(4, 4);
    expect(same.downsample).toBeNull();
    expect(same.forward(x).shape).toEqual([2, 4, 8, 8]);
    const down = new BasicBlock(4, 8, { stride: 2 });
    expect(down.downsample).not.toBeNull();
    expect(down.forward(x).shape).toEqual([2, 8, 4, 4]);
    expect(down.forward(randT([1, 4, 7, 7], 2, { dtype: "float32" })).shape).toEqual([1, 8, 4, 4]);
    expect(new BasicBlock(4, 6).forward(x).shape).toEqual([2, 6, 8, 8]);
  });

  it("BasicBlock equals its composed computation and gradchecks in float64", () => {
    const b = new BasicBlock(2, 3, { stride: 2, ...gen(5) });
    const x = randT([2, 2, 5, 5], 6);
    b.eval(); // running statistics: a fixed affine map per channel
    const ds = b.downsample!;
    const ref = noGrad(() =>
      b.bn2
        .forward(b.conv2.forward(b.bn1.forward(b.conv1.forward(x)).relu()))
        .add(ds.forward(x))
        .relu(),
    );
    expect(b.forward(x)).toBeAllClose(ref, { atol: 1e-14 });
    expect(gradcheck((x) => b.forward(x!), [leaf(x)]).ok).toBe(true);
    b.train();
    expect(gradcheck((x) => b.forward(x!), [leaf(x)]).ok).toBe(true);
  });

  it("Bottleneck expands by 4 and downsamples", () => {
    const x = randT([2, 8, 6, 6], 7, { dtype: "float32" });
    const b = new Bottleneck(8, 2);
    expect(b.downsample).toBeNull();
    expect(b.forward(x).shape).toEqual([2, 8, 6, 6]);
    const d = new Bottleneck(8, 4, { stride: 2 });
    expect(d.forward(x).shape).toEqual([2, 16, 3, 3]);
    expect(Object.keys(d.stateDict())).toContain("conv3.weight");
    expect(Object.keys(d.stateDict())).toContain("downsample.1.running_var");
    const small = new Bottleneck(2, 1, { stride: 2, ...gen(8) }).eval();
    expect(
      gradcheck((x) => small.forward(x!), [randT([1, 2, 4, 4], 9, { requiresGrad: true })]).ok,
    ).toBe(true);
  });
});

describe("DenseNet blocks", () => {
  it("DenseBlock grows channels by growthRate per layer and keeps the input channels first", () => {
    const block = new DenseBlock(3, 4, 2, gen(1));
    expect(block.outChannels).toBe(10);
    const x = randT([2, 4, 5, 5], 2);
    const y = block.forward(x);
    expect(y.shape).toEqual([2, 10, 5, 5]);
    expect(y.slice(1, 0, 4)).toBeAllClose(x, { atol: 0 });
    expect(Object.keys(block.stateDict())).toContain("denselayer3.conv1.weight");
    expect(block.layers[2]!.conv1.weight.shape).toEqual([2, 8, 3, 3]);
  });

  it("DenseLayer: dx is the sum of the identity path and the path through F", () => {
    const layer = new DenseLayer(3, 2, gen(3)).eval();
    const x = randT([2, 3, 4, 4], 4);
    const { gx } = grads(layer, x, (x) => layer.forward(x));
    const v = randT([2, 5, 4, 4], 99);
    // Path through F alone, with F's part of the upstream gradient.
    const xl = leaf(x);
    const fx = layer.conv1.forward(layer.norm1.forward(xl).relu());
    fx.mul(v.slice(1, 3, 5))
      .sum()
      .backward();
    expect(gx).toBeAllClose(
      noGrad(() => xl.grad!.add(v.slice(1, 0, 3))),
      { atol: 1e-13 },
    );
  });

  it("DenseBlock gradchecks in float64 (train mode: batch statistics)", () => {
    const block = new DenseBlock(2, 2, 2, gen(5));
    const x = randT([2, 2, 3, 3], 6, { requiresGrad: true });
    expect(gradcheck((x) => block.forward(x!), [x]).ok).toBe(true);
  });

  it("Transition: BN-ReLU-conv1×1-avgpool halves the resolution", () => {
    const t = new Transition(6, 3, gen(7));
    const x = randT([2, 6, 6, 5], 8);
    const y = t.forward(x);
    expect(y.shape).toEqual([2, 3, 3, 2]);
    t.eval();
    const ref = noGrad(() => avgPool2d(t.conv.forward(t.norm.forward(x).relu()), 2, { stride: 2 }));
    expect(t.forward(x)).toBeAllClose(ref, { atol: 1e-14 });
    expect(gradcheck((x) => t.forward(x!), [leaf(x)]).ok).toBe(true);
  });

  it("a DenseBlock stack composes with a Transition", () => {
    const net = new Sequential(new DenseBlock(2, 3, 2), new Transition(7, 4));
    expect(net.forward(randT([1, 3, 4, 4], 1, { dtype: "float32" })).shape).toEqual([1, 4, 2, 2]);
  });
});

// The unfused references, from primitive ops only.
function refLayerNorm(x: Tensor, n: LayerNorm): Tensor {
  const mu = x.mean(-1, true);
  const d = x.sub(mu);
  const v = d.square().mean(-1, true);
  return d.div(v.add(n.eps).sqrt()).mul(n.weight!).add(n.bias!);
}
function refRmsNorm(x: Tensor, n: RMSNorm): Tensor {
  const eps = n.eps ?? machineEpsilon(x.dtype as "float64");
  return x.mul(x.square().mean(-1, true).add(eps).rsqrt()).mul(n.weight!);
}

describe("AddNorm", () => {
  for (const norm of ["layer", "rms"] as const) {
    for (const placement of ["post", "pre"] as const) {
      it(`${placement}-norm with ${norm} norm equals the unfused computation, values and gradients`, () => {
        const sub = new Sequential(new Linear(6, 6, gen(1)), new Tanh());
        const an = new AddNorm(6, sub, { placement, norm, ...f64 });
        // Non-trivial affine parameters.
        for (const p of an.norm.parameters()) p.data.set(randT(p.shape, 2).data);
        const x = randT([2, 3, 6], 3, { scale: 2 });
        const ref = (x: Tensor) => {
          const nf = (h: Tensor) =>
            norm === "layer"
              ? refLayerNorm(h, an.norm as LayerNorm)
              : refRmsNorm(h, an.norm as RMSNorm);
          return placement === "post" ? nf(x.add(sub.forward(x))) : x.add(sub.forward(nf(x)));
        };
        const a = grads(an, x, (x) => an.forward(x));
        const b = grads(an, x, ref);
        expect(a.out).toBeAllClose(b.out, { atol: 1e-12 });
        expect(a.gx).toBeAllClose(b.gx, { atol: 1e-12 });
        a.gp.forEach((g, i) => expect(g, `param ${i}`).toBeAllClose(b.gp[i], { atol: 1e-12 }));
        expect(gradcheck((x) => an.forward(x!), [leaf(x)]).ok).toBe(true);
      });
    }
  }

  it("bad placement or norm names the option", () => {
    expect(() => new AddNorm(4, new Tanh(), { placement: "mid" as "pre" })).toThrow(
      /AddNorm: placement must be "post" or "pre", got 'mid'/,
    );
    expect(() => new AddNorm(4, new Tanh(), { norm: "batch" as "rms" })).toThrow(
      /makeNorm: unknown norm 'batch'; expected "layer" or "rms"/,
    );
  });
});
