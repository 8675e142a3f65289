import type { Tensor } from "@tapegrad/core";
import { type FactoryOptions, Module, type UnaryModule } from "../module.js";
import { LayerNorm, RMSNorm } from "./norm.js";

export type NormKind = "layer" | "rms";
export type Placement = "post" | "pre";

export interface AddNormOptions extends FactoryOptions {
  /** "post": norm(x + F(x)) (the original Transformer); "pre": x + F(norm(x)). Default "post". */
  placement?: Placement;
  norm?: NormKind;
  eps?: number;
}

/** Build the norm module a Transformer uses: LayerNorm or RMSNorm over the last dim. */
export function makeNorm(
  kind: NormKind,
  dModel: number,
  options: FactoryOptions & { eps?: number },
): LayerNorm | RMSNorm {
  if (kind === "layer") return new LayerNorm(dModel, options);
  if (kind === "rms") return new RMSNorm(dModel, options);
  throw new Error(`makeNorm: unknown norm '${String(kind)}'; expected "layer" or "rms"`);
}

/**
 * Normalize the sum `x + residual` in one fused pass (add & norm): returns [norm(x + residual),
 * x + residual]. The backward returns the residual stream's gradient in the same pass.
 */
export function fusedAddNorm(
  norm: LayerNorm | RMSNorm,
  x: Tensor,
  residual: Tensor,
): [Tensor, Tensor] {
  return norm.addAndNorm(x, residual);
}

/**
 * Transformer "Add & Norm" around a sublayer, in either placement. Post-norm uses the fused
 * add+norm op; pre-norm normalizes the input and adds the sublayer's output to the raw stream.
 */
export class AddNorm extends Module {
  readonly sublayer: UnaryModule;
  readonly norm: LayerNorm | RMSNorm;
  readonly placement: Placement;
  constructor(dModel: number, sublayer: UnaryModule, options: AddNormOptions = {}) {
    super();
    this.placement = options.placement ?? "post";
    if (this.placement !== "post" && this.placement !== "pre") {
      throw new Error(
        `AddNorm: placement must be "post" or "pre", got '${String(this.placement)}'`,
      );
    }
    this.sublayer = this.registerModule("sublayer", sublayer);
    this.norm = this.registerModule("norm", makeNorm(options.norm ?? "layer", dModel, options));
  }
  forward(x: Tensor): Tensor {
    if (this.placement === "pre") return x.add(this.sublayer.forward(this.norm.forward(x)));
    return this.norm.forward(this.sublayer.forward(x), { residual: x });
  }
}
