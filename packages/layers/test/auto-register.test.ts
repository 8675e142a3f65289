import { readFileSync } from "node:fs";
import { ones, randn, type Tensor, zeros } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  Embedding,
  Flatten,
  GELU,
  isParameter,
  LayerNorm,
  Linear,
  MaxPool2d,
  Module,
  ModuleList,
  MultiheadAttention,
  Parameter,
  ReLU,
  Sequential,
} from "../src/index.js";

interface Described {
  parameters: [string, number[]][];
  buffers: string[];
  stateDict: string[];
  numParameters: number;
  repr: string;
}
const fixture = JSON.parse(
  readFileSync(new URL("./fixtures/module_registration.json", import.meta.url), "utf8"),
) as Record<"net" | "tied" | "reassigned", Described>;

function describeModule(m: Module): Described {
  return {
    parameters: m.namedParameters().map(([n, p]) => [n, [...p.shape]]),
    buffers: m.namedBuffers().map(([n]) => n),
    stateDict: Object.keys(m.stateDict()),
    numParameters: m.numParameters(),
    repr: m.toString(),
  };
}

/** PyTorch's repr in our spelling: camelCase names, true/false/null, no `inplace`. */
function normalizeRepr(repr: string): string {
  return (
    repr
      // Option names (before "=") in camelCase; module names such as self_attn stay as they are.
      .replace(/\b[a-z]+(_[a-z]+)+(?==)/g, (k) =>
        k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      )
      .replace(/\bTrue\b/g, "true")
      .replace(/\bFalse\b/g, "false")
      .replace(/\bNone\b/g, "null")
      .replace(/, inplace=false/g, "")
  );
}

// The modules of fixtures/gen_module_registration.py, written the same way: fields only.
class Net extends Module {
  conv1 = new Conv2d(1, 8, 3, { padding: 1 });
  bn1 = new BatchNorm2d(8);
  pool = new MaxPool2d(2);
  conv2 = new Conv2d(8, 16, 3, { stride: 2, bias: false });
  drop = new Dropout(0.25);
  gap = new AdaptiveAvgPool2d([1, 1]);
  head = new Sequential(new Flatten(), new Linear(16, 10));
  scale = new Parameter(ones([1]));
  offset = zeros([1]); // a plain tensor: not a parameter
  steps: Tensor;
  blocks = new ModuleList<Module>([new Linear(4, 4), new GELU("tanh")]);
  emb = new Embedding(10, 4, { paddingIdx: 0 });
  norm = new LayerNorm(4, { eps: 1e-6 });
  avg = new AvgPool2d(2, { stride: 1 });
  constructor() {
    super();
    this.steps = this.registerBuffer("steps", zeros([1]));
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

class Tied extends Module {
  encoder = new Embedding(6, 3);
  decoder = new Linear(3, 6);
  constructor() {
    super();
    this.decoder.weight = this.encoder.weight; // weight tying
  }
  forward(x: Tensor): Tensor {
    return this.decoder.forward(this.encoder.forward(x));
  }
}

class Holder extends Module {
  fc?: Linear | null;
  act?: ReLU;
  gain?: Parameter | null;
  extra?: Linear;
  forward(): void {}
}

function reassigned(): Holder {
  const m = new Holder();
  m.fc = new Linear(2, 2);
  m.act = new ReLU();
  m.gain = new Parameter(ones([2]));
  m.fc = new Linear(2, 3); // replaces the child in place
  m.gain = null;
  delete m.act;
  m.extra = new Linear(3, 1);
  return m;
}

describe("modules register what is assigned to their fields, as in PyTorch", () => {
  it.each([
    ["net", () => new Net()],
    ["tied", () => new Tied()],
    ["reassigned", reassigned],
  ] as const)(
    "%s: PyTorch's parameter names, shapes, buffers, state-dict keys and repr",
    (name, make) => {
      const ours = describeModule(make());
      const torch = fixture[name];
      expect(ours.parameters).toEqual(torch.parameters);
      expect(ours.buffers).toEqual(torch.buffers);
      expect(ours.stateDict).toEqual(torch.stateDict);
      expect(ours.numParameters).toBe(torch.numParameters);
      expect(ours.repr).toBe(normalizeRepr(torch.repr));
    },
  );

  it("a plain tensor field is not a parameter; a Parameter field is, and can be frozen", () => {
    const net = new Net();
    expect(net.parameters()).toContain(net.scale);
    expect(net.parameters()).not.toContain(net.offset);
    expect(isParameter(net.offset)).toBe(false);
    expect(isParameter(net.conv1.weight)).toBe(true);
    // Tensor's instanceof asks for the tensor brand; Parameter's asks for its own.
    expect(ones([1]) instanceof Parameter).toBe(false);
    expect(new Parameter(ones([1])) instanceof Parameter).toBe(true);
    expect(new Linear(2, 1).parameters().every((q) => q.requiresGrad)).toBe(true);
    const frozen = new Parameter(ones([2]), false);
    const h = new Holder();
    h.gain = frozen;
    expect(h.parameters()).toEqual([frozen]);
    expect(frozen.requiresGrad).toBe(false);
    // A Parameter shares its tensor's storage, as torch.nn.Parameter does.
    const t = ones([3]);
    const p = new Parameter(t);
    p.data[0] = 5;
    expect(t.data[0]).toBe(5);
    expect(() => new Parameter(zeros([2], { dtype: "int32" }))).toThrow(
      /Parameter: data must be float32 or float64, got int32/,
    );
  });

  it("assigning a tensor to a buffer's name replaces the buffer", () => {
    const bn = new BatchNorm2d(2);
    const mean = ones([2]);
    bn.runningMean = mean; // the field stands for the buffer running_mean
    expect(bn.stateDict().running_mean).toBe(mean);
    const net = new Net();
    net.steps = ones([1]);
    expect(net.stateDict().steps).toBe(net.steps);
  });

  it("a field that names a registered entry otherwise (selfAttn → self_attn) replaces it", () => {
    const mha = new MultiheadAttention(4, 2);
    const w = new Parameter(zeros([12, 4]));
    mha.inProjWeight = w;
    expect(mha.stateDict().in_proj_weight).toBe(w);
    expect(Object.keys(mha.stateDict())).not.toContain("inProjWeight");
  });

  it("wrong kinds of values for a registered name are errors naming it", () => {
    const lin = new Linear(2, 2);
    expect(() => {
      lin.weight = zeros([2, 2]);
    }).toThrow(/Linear: cannot assign a plain Tensor to parameter 'weight'; wrap the tensor/);
    const net = new Net() as unknown as Record<string, unknown>;
    expect(() => {
      net.conv1 = 3;
    }).toThrow(/Net: cannot assign a number to submodule 'conv1'/);
    expect(() => {
      net.steps = "x";
    }).toThrow(/Net: cannot assign a string to buffer 'steps'/);
  });

  it("assigning a module to a parameter's name replaces the parameter, as in PyTorch", () => {
    const h = new Holder() as Holder & { x?: unknown };
    h.x = new Parameter(ones([1]));
    expect(h.namedParameters().map(([n]) => n)).toEqual(["x"]);
    expect(() => {
      h.x = new Linear(1, 1);
    }).toThrow(/cannot assign a object to parameter 'x'/);
    h.x = null;
    delete h.x;
    h.x = new Linear(1, 1);
    expect(h.namedParameters().map(([n]) => n)).toEqual(["x.weight", "x.bias"]);
  });

  it("registerModule/registerParameter/registerBuffer still work, and register once", () => {
    class Explicit extends Module {
      readonly fc: Linear;
      readonly w: Tensor;
      constructor() {
        super();
        this.fc = this.registerModule("out_proj", new Linear(2, 2));
        this.w = this.registerParameter("w", randn([2]));
        this.registerBuffer("b", zeros([1]), { persistent: false });
      }
      forward(x: Tensor): Tensor {
        return this.fc.forward(x).mul(this.w);
      }
    }
    const m = new Explicit();
    expect(m.namedParameters().map(([n]) => n)).toEqual(["w", "out_proj.weight", "out_proj.bias"]);
    expect(Object.keys(m.stateDict())).toEqual(["w", "out_proj.weight", "out_proj.bias"]);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(["b"]);
  });
});

describe("Module traversal and freezing", () => {
  it("namedModules lists each module once, with dotted names", () => {
    const shared = new Linear(2, 2);
    const seq = new Sequential(shared, new ReLU(), shared);
    expect(seq.namedModules().map(([n]) => n)).toEqual(["", "0", "1"]);
    expect(seq.namedModules({ removeDuplicate: false }).map(([n]) => n)).toEqual([
      "",
      "0",
      "1",
      "2",
    ]);
    expect(seq.namedModules({ prefix: "net" }).map(([n]) => n)).toEqual(["net", "net.0", "net.1"]);
    // The state dict names a shared module under each of its names, as PyTorch's does.
    expect(Object.keys(seq.stateDict())).toEqual(["0.weight", "0.bias", "2.weight", "2.bias"]);
    expect(seq.parameters()).toHaveLength(2);
  });

  it("parameters({ recurse: false }) gives the module's own parameters", () => {
    const net = new Net();
    expect(net.parameters({ recurse: false })).toEqual([net.scale]);
    expect(net.namedParameters({ prefix: "m", recurse: false })).toEqual([["m.scale", net.scale]]);
    expect(net.buffers({ recurse: false })).toEqual([net.steps]);
  });

  it("apply visits children before the module, each once", () => {
    const net = new Tied();
    const seen: string[] = [];
    net.apply((m) => seen.push(m.constructor.name));
    expect(seen).toEqual(["Embedding", "Linear", "Tied"]);
  });

  it("requiresGrad_(false) freezes every parameter; zeroGrad clears gradients", () => {
    const net = new Sequential(new Linear(3, 2), new ReLU(), new Linear(2, 1));
    net.at(0).requiresGrad_(false);
    expect(net.parameters().map((p) => p.requiresGrad)).toEqual([false, false, true, true]);
    net
      .forward(randn([4, 3]))
      .sum()
      .backward();
    expect(net.parameters().map((p) => p.grad !== null)).toEqual([false, false, true, true]);
    net.zeroGrad();
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    expect(
      net
        .requiresGrad_()
        .parameters()
        .every((p) => p.requiresGrad),
    ).toBe(true);
  });
});
