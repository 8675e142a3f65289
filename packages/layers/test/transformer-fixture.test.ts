// Equivalence with torch.nn.TransformerEncoderLayer's math. NOTE: the fixture is NOT produced by
// PyTorch (torch cannot be installed here): fixtures/gen_transformer_fixture.py is an independent
// float64 NumPy re-implementation of PyTorch's documented math, written against PyTorch's
// parameter layout and state-dict keys. Regenerate with `python3 gen_transformer_fixture.py`.
import { decodeSafetensors, type Tensor } from "@tapegrad/core";
import { describe, expect, it } from "vitest";
import { TransformerEncoderLayer } from "../src/index.js";

// This package's tsconfig has no Node types, so the two Node functions used are typed here.
const { readFileSync } = (await import("node:fs" as string)) as {
  readFileSync(path: string): Uint8Array;
};
const { fileURLToPath } = (await import("node:url" as string)) as {
  fileURLToPath(url: string): string;
};
const here = (import.meta as unknown as { url: string }).url;
const file = fileURLToPath(
  here.replace(/[^/]*$/, "fixtures/transformer_encoder_layer.safetensors"),
);
const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(file)));
const state: Record<string, Tensor> = {};
for (const [k, t] of Object.entries(tensors)) {
  if (k !== "input" && k !== "key_padding_mask" && !k.startsWith("expected_")) state[k] = t;
}
const input = tensors.input!;
const mask = tensors.key_padding_mask!;

describe("TransformerEncoderLayer against the NumPy re-implementation of PyTorch", () => {
  it("the fixture says where it comes from", () => {
    expect(metadata.source).toMatch(/NOT produced by PyTorch/);
    expect(input.shape).toEqual([2, 5, 8]);
    expect(mask.dtype).toBe("bool");
  });

  for (const placement of ["post", "pre"] as const) {
    for (const activation of ["relu", "gelu"] as const) {
      for (const masked of [false, true]) {
        const name = `expected_${placement}_${activation}${masked ? "_masked" : ""}`;
        const make = () =>
          new TransformerEncoderLayer(8, 2, {
            dimFeedforward: 16,
            dropout: 0,
            activation,
            normFirst: placement === "pre",
          });
        const call = masked ? { srcKeyPaddingMask: mask } : {};

        it(`${name}: float64 to 1e-10`, () => {
          const layer = make().to("float64").eval();
          layer.loadStateDict(state);
          const y = layer.forward(input, call);
          expect(y.dtype).toBe("float64");
          expect(y).toBeAllClose(tensors[name]!, { atol: 1e-10, rtol: 0 });
        });

        it(`${name}: float32 to 1e-5`, () => {
          const layer = make().eval();
          layer.loadStateDict(state);
          const y = layer.forward(input.to("float32"), call);
          expect(y.dtype).toBe("float32");
          expect(y).toBeAllClose(tensors[name]!, { atol: 1e-5, rtol: 0 });
        });
      }
    }
  }

  it("the padding mask changes the unpadded sequence's neighbours only", () => {
    // Sequence 0 has no padding: identical with and without the mask; sequence 1 differs.
    const a = tensors.expected_post_relu!;
    const b = tensors.expected_post_relu_masked!;
    expect(a.slice(0, 0, 1)).toBeAllClose(b.slice(0, 0, 1), { atol: 0 });
    expect(Array.from(a.slice(0, 1, 2).data)).not.toEqual(Array.from(b.slice(0, 1, 2).data));
  });
});
