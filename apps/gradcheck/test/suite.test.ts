import { defineOp, opNames, opRegistry, randn, type Tensor } from "@tapegrad/core";
import * as layers from "@tapegrad/layers";
import { describe, expect, it } from "vitest";
import { allCases } from "../src/cases/index.js";
import { runCase } from "../src/run.js";

describe("gradcheck cases", () => {
  for (const c of allCases) {
    it(`${c.group}: ${c.name}`, () => {
      const r = runCase(c);
      expect(r.ok, `gradcheck '${c.name}' failed:\n${r.error ?? ""}`).toBe(true);
      // Every op and layer has gradients of gradients: checked, not refused as once-differentiable.
      expect(r.secondOrder?.refused, `'${c.name}' to second order`).toBeUndefined();
      expect(r.secondOrder?.ok, `'${c.name}' to second order`).toBe(true);
    });
  }
});

describe("the runner reports failures", () => {
  // A hand-derived op whose backward is off by a factor 2 must come out as a failure with a
  // readable message, not a pass or a crash.
  const twice = defineOp({
    name: "brokenSquare",
    forward: (ctx, x: Tensor) => {
      ctx.save(x);
      return x.mul(x);
    },
    backward: (ctx, dy) => [dy.mul(ctx.saved as Tensor).mul(4)],
  });
  it("a wrong backward fails", () => {
    const r = runCase({
      name: "broken",
      group: "core",
      build: () => ({
        fn: (x) => twice(x),
        inputs: [randn([3], { dtype: "float64", requiresGrad: true })],
      }),
    });
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/analytic .* vs numeric/);
  });
  it("a case that throws is a failure carrying the message", () => {
    const r = runCase({
      name: "throws",
      group: "core",
      build: () => {
        throw new Error("someOp: not implemented yet");
      },
    });
    expect(r).toMatchObject({ ok: false, error: "someOp: not implemented yet" });
  });
});

describe("coverage", () => {
  it("case names are unique", () => {
    const seen = new Set<string>();
    const dup = allCases.map((c) => c.name).filter((n) => seen.has(n) || !seen.add(n));
    expect(dup).toEqual([]);
  });

  it("every case's op is a registry op", () => {
    const unknown = allCases.filter((c) => c.op !== undefined && !(c.op in opRegistry));
    expect(unknown.map((c) => `${c.name}: ${c.op}`)).toEqual([]);
  });

  it("every name in opNames has a defined registry entry", () => {
    const undefinedOps = opNames.filter((op) => opRegistry[op] === undefined);
    expect(
      undefinedOps,
      `opRegistry entries that are undefined at import: ${undefinedOps.join(", ")}`,
    ).toEqual([]);
  });

  it("every differentiable op in core's registry has a gradcheck case", () => {
    const covered = new Set(allCases.map((c) => c.op));
    // An undefined entry (see the test above) counts as differentiable: it must still have a case.
    const missing = opNames.filter(
      (op) => opRegistry[op]?.differentiable !== false && !covered.has(op),
    );
    expect(missing, `differentiable ops without a gradcheck case: ${missing.join(", ")}`).toEqual(
      [],
    );
  });

  // Layers with parameters or a hand-derived rule must be checked. Parameter-free modules built
  // only from core ops (which have their own cases) and containers are exempt, by name, so a new
  // export has to be either checked or listed here deliberately.
  const required = [
    "LayerNorm",
    "RMSNorm",
    "BatchNorm1d",
    "BatchNorm2d",
    "GroupNorm",
    "addLayerNorm",
    "addRmsNorm",
    "layerNorm",
    "rmsNorm",
    "batchNorm",
    "groupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "instanceNorm",
    "LocalResponseNorm",
    "localResponseNorm",
    "Linear",
    "Embedding",
    "Conv2d",
    "conv2d",
    "Conv1d",
    "conv1d",
    "ConvTranspose1d",
    "convTranspose1d",
    "ConvTranspose2d",
    "convTranspose2d",
    "unfold",
    "fold",
    "MaxPool2d",
    "maxPool2d",
    "AvgPool2d",
    "avgPool2d",
    "AdaptiveAvgPool2d",
    "adaptiveAvgPool2d",
    "MaxPool1d",
    "maxPool1d",
    "AvgPool1d",
    "avgPool1d",
    "AdaptiveMaxPool2d",
    "adaptiveMaxPool2d",
    "Upsample",
    "interpolate",
    "Dropout1d",
    "dropout1d",
    "Dropout2d",
    "dropout2d",
    "Residual",
    "BasicBlock",
    "Bottleneck",
    "DenseBlock",
    "Transition",
    "AddNorm",
    "MultiheadAttention",
    "TransformerEncoderLayer",
    "TransformerEncoder",
    "RNN",
    "LSTM",
    "GRU",
    "TransformerDecoderLayer",
    "TransformerDecoder",
    "Transformer",
  ];
  const exempt = new Set([
    "Module",
    "Sequential",
    "ModuleList",
    "Identity",
    "ReLU",
    "GELU",
    "SiLU",
    "Tanh",
    "Sigmoid",
    "Flatten",
    "Dropout",
    // Channel dropout: core's dropout on a [N, C, 1, …] mask times the input (both checked).
    "Dropout1d",
    "Dropout2d",
    "SinusoidalPositionalEncoding",
  ]);
  const covered = new Set(allCases.flatMap((c) => c.layers ?? []));

  it("every required layer and functional norm has a case", () => {
    const missing = required.filter((name) => !covered.has(name));
    expect(missing, `layers without a gradcheck case: ${missing.join(", ")}`).toEqual([]);
  });

  it("every Module class exported from @tapegrad/layers has a case or is exempt", () => {
    const classes = Object.entries(layers)
      .filter(
        ([, v]) =>
          typeof v === "function" && (v === layers.Module || v.prototype instanceof layers.Module),
      )
      .map(([k]) => k);
    expect(classes.length).toBeGreaterThan(20);
    const missing = classes.filter((k) => !covered.has(k) && !exempt.has(k));
    expect(missing, `layer classes neither checked nor exempt: ${missing.join(", ")}`).toEqual([]);
  });
});
