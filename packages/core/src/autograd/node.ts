import { recycleArray } from "../array-pool.js";
import type { Device } from "../device.js";
import type { DType, TypedArray } from "../dtype.js";
import { coreState } from "../global-state.js";
import type { Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";

/**
 * One entry of the tape (a Wengert list): the op that ran, its tensor inputs, and its backward.
 * Nodes are numbered in the order ops ran, so sorting the nodes that lie on a path to the loss
 * by descending id replays the tape backwards — a valid reverse topological order without a
 * global list that would keep unrelated graphs alive.
 */
/** What the engine knows of an op's output after the forward. */
export interface OutputMeta {
  shape: Shape;
  dtype: DType;
  device: Device;
}

export class Node {
  readonly id: number;
  /** The flat list of tensor inputs, in argument order (arrays of tensors expanded). */
  inputs: Tensor[];
  /** Per flat input: whether the backward must produce its gradient. */
  readonly needsGrad: boolean[];
  /** Shape, dtype and device of each output, to zero-fill gradients of outputs nobody used. */
  readonly outputs: OutputMeta[];
  /**
   * Maps the upstream gradients (one per output) to one gradient per flat input; `create` says
   * the backward is being recorded (createGraph), so the rule must compute with recorded ops.
   */
  private backwardFn: ((grads: Tensor[], create: boolean) => (Tensor | null | undefined)[]) | null;

  constructor(
    readonly name: string,
    inputs: Tensor[],
    needsGrad: boolean[],
    outputs: OutputMeta[],
    backwardFn: (grads: Tensor[], create: boolean) => (Tensor | null | undefined)[],
  ) {
    this.id = coreState.nextNodeId++;
    this.inputs = inputs;
    this.needsGrad = needsGrad;
    this.outputs = outputs;
    this.backwardFn = backwardFn;
  }

  /**
   * For a fused op with a composed equivalent: re-run that composition on the op's inputs
   * (recorded), so a createGraph backward can differentiate it instead of the fused rule.
   */
  /** Re-run a fused op's composed form with its tensor inputs replaced (in input order). */
  recompose: ((inputs: readonly Tensor[]) => Tensor[]) | null = null;

  /**
   * The rule keeps none of the gradients it is given or returns (every core op; a user's op
   * that says so): once the engine is done with them their memory may be reused.
   */
  transientGradients = false;

  /**
   * Arrays only this node's backward reads (a fused op's saved intermediate: GELU's
   * pre-activation, attention's probabilities), given back to the array pool once the node is
   * freed by a plain backward.
   */
  privateArrays: TypedArray[] = [];

  get released(): boolean {
    return this.backwardFn === null;
  }

  /** Why the graph was freed, when it was by a backward() that then failed. */
  private failure: string | null = null;

  runBackward(grads: Tensor[], create = false): (Tensor | null | undefined)[] {
    if (this.backwardFn === null) {
      if (this.failure !== null) {
        throw new Error(
          `backward: the graph through '${this.name}' was freed by an earlier backward() that ` +
            `failed in ${this.failure}; run the forward pass again`,
        );
      }
      throw new Error(
        `backward: the graph through '${this.name}' has already been freed by an earlier ` +
          "backward(); call backward({ retainGraph: true }) the first time if you need to " +
          "backpropagate through it twice",
      );
    }
    return this.backwardFn(grads, create);
  }

  /**
   * Drop what the backward saved and the references to inputs, so the GC can free them.
   * `recycle`: the backward that ran was plain (not createGraph, whose new graph may hold what
   * was saved), so the private arrays go back to the pool.
   */
  release(recycle = false): void {
    if (recycle) for (const a of this.privateArrays) recycleArray(a);
    this.privateArrays = [];
    this.backwardFn = null;
    this.recompose = null;
    this.inputs = [];
  }

  /** Mark a node this failed backward pass released: a retry then says what went wrong. */
  releasedByFailure(failedIn: string, message: string): void {
    if (this.backwardFn === null) this.failure = `'${failedIn}' (${message})`;
  }
}
