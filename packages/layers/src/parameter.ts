import { isFloatDType, isTensor, Tensor } from "@tapegrad/core";

const PARAMETER = Symbol.for("tapegrad.layers.Parameter");

/**
 * A tensor that is a module's parameter, as torch.nn.Parameter: assigning one to a module's field
 * (`this.scale = new Parameter(ones([1]))`) registers it under the field's name. A plain tensor
 * assigned to a field stays a plain attribute, as in PyTorch. It shares `data`'s storage and is
 * a leaf that requires a gradient unless `requiresGrad` is false.
 */
export class Parameter extends Tensor {
  /**
   * Tensor's own check asks for the tensor brand, which every tensor has; a Parameter has one of
   * its own, shared (like the tensor brand) by every copy of this package in the process.
   */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return (
      typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[PARAMETER] === true
    );
  }

  constructor(data: Tensor, requiresGrad = true) {
    if (!isTensor(data)) {
      throw new Error(`Parameter: data must be a Tensor, got ${typeof data}`);
    }
    if (!isFloatDType(data.dtype)) {
      throw new Error(`Parameter: data must be float32 or float64, got ${data.dtype}`);
    }
    super(data.data, data.shape, data.dtype);
    Object.defineProperty(this, PARAMETER, { value: true });
    this.requiresGrad = requiresGrad;
  }
}

// Tensors registered as a parameter anywhere (registerParameter, or a cast by Module.to): such a
// tensor assigned to another module's field is shared there, as a Parameter would be.
const registered = new WeakSet<Tensor>();

/** @internal A parameter registry that remembers every tensor put into it. */
export class ParameterMap extends Map<string, Tensor | null> {
  override set(name: string, value: Tensor | null): this {
    if (value !== null) registered.add(value);
    return super.set(name, value);
  }
}

/** A Parameter, or a tensor that some module registered as a parameter. */
export function isParameter(value: unknown): value is Tensor {
  return value instanceof Parameter || (isTensor(value) && registered.has(value));
}
