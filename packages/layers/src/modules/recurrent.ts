import {
  concat,
  dropout,
  fmtShape,
  type Generator,
  linear,
  type Tensor,
  zeros,
} from "@tapegrad/core";
import { checkSize, checkTensor } from "../check.js";
import { splitEqual, splitOp } from "../functional/split-op.js";
import { uniform_ } from "../init.js";
import { type FactoryOptions, Module } from "../module.js";
import { reprFields } from "../repr.js";

export interface RNNBaseOptions extends FactoryOptions {
  /** Stacked layers; each after the first reads the previous one's output. Default 1. */
  numLayers?: number;
  /** Learn b_ih and b_hh. Default true. */
  bias?: boolean;
  /** Input and output as (N, T, feature) instead of (T, N, feature). Default false, as PyTorch. */
  batchFirst?: boolean;
  /** Dropout on the outputs of every layer but the last, in train mode. Default 0. */
  dropout?: number;
  /** A second set of layers runs over the reversed sequence; outputs are concatenated. */
  bidirectional?: boolean;
}

export interface RNNOptions extends RNNBaseOptions {
  /** Default "tanh". */
  nonlinearity?: "tanh" | "relu";
}

type Kind = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

/** The gates each kind packs into its weights (PyTorch's orders: LSTM i,f,g,o; GRU r,z,n). */
const GATES: Record<Kind, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

interface Cell {
  wIh: Tensor;
  wHh: Tensor;
  bIh: Tensor | null;
  bHh: Tensor | null;
}

/** A recurrent state: h, and c for an LSTM. Each is [1, N, H] inside the loop. */
interface State {
  h: Tensor;
  c: Tensor | null;
}

/**
 * The shared body of RNN, LSTM and GRU, as PyTorch's RNNBase: parameters `weight_ih_l{k}`
 * [G·H, in], `weight_hh_l{k}` [G·H, H], `bias_ih_l{k}`, `bias_hh_l{k}` [G·H] (suffix `_reverse` for
 * the backward direction), all initialized U(−1/√H, 1/√H).
 *
 * Built from core ops so the tape differentiates it: each layer and direction projects the
 * whole sequence with ONE linear (x·W_ihᵀ + b), splits it into time steps with one op, and each
 * step adds h·W_hhᵀ and applies the gates. The time steps' outputs are joined with one concat.
 */
abstract class RNNBase extends Module {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** cells[layer][direction]. */
  protected readonly cells: Cell[][] = [];
  generator: Generator | undefined;

  constructor(
    protected readonly kind: Kind,
    readonly inputSize: number,
    readonly hiddenSize: number,
    options: RNNBaseOptions,
  ) {
    super();
    const name = this.constructor.name;
    checkSize(name, "inputSize", inputSize);
    checkSize(name, "hiddenSize", hiddenSize);
    this.numLayers = checkSize(name, "numLayers", options.numLayers ?? 1, true);
    this.bias = options.bias ?? true;
    this.batchFirst = options.batchFirst ?? false;
    this.bidirectional = options.bidirectional ?? false;
    this.dropout = options.dropout ?? 0;
    if (typeof this.dropout !== "number" || !(this.dropout >= 0 && this.dropout <= 1)) {
      throw new Error(
        `${name}: dropout must be a number in [0, 1], got ${String(options.dropout)}`,
      );
    }
    this.generator = options.generator;
    const dtype = options.dtype ?? "float32";
    const G = GATES[kind] * hiddenSize;
    const dirs = this.bidirectional ? 2 : 1;
    const bound = hiddenSize > 0 ? 1 / Math.sqrt(hiddenSize) : 0;
    const param = (key: string, shape: number[]) =>
      this.registerParameter(
        key,
        uniform_(zeros(shape, { dtype }), -bound, bound, options.generator),
      );
    for (let l = 0; l < this.numLayers; l++) {
      const layer: Cell[] = [];
      const inF = l === 0 ? inputSize : hiddenSize * dirs;
      for (let d = 0; d < dirs; d++) {
        const sfx = `_l${l}${d === 1 ? "_reverse" : ""}`;
        layer.push({
          wIh: param(`weight_ih${sfx}`, [G, inF]),
          wHh: param(`weight_hh${sfx}`, [G, hiddenSize]),
          bIh: this.bias ? param(`bias_ih${sfx}`, [G]) : null,
          bHh: this.bias ? param(`bias_hh${sfx}`, [G]) : null,
        });
      }
      this.cells.push(layer);
    }
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** Checks the input and returns it time-major [T, N, F], and whether it was unbatched. */
  protected prepareInput(input: Tensor): { x: Tensor; batched: boolean } {
    const name = this.constructor.name;
    checkTensor(name, "input", input);
    const F = this.inputSize;
    if ((input.ndim !== 2 && input.ndim !== 3) || input.shape[input.ndim - 1] !== F) {
      const layout = this.batchFirst ? "[N, T, inputSize]" : "[T, N, inputSize]";
      throw new Error(
        `${name}: input of shape ${fmtShape(input.shape)} must be ${layout} (or unbatched [T, inputSize]) with inputSize = ${F}`,
      );
    }
    if (input.ndim === 2) return { x: input.unsqueeze(1), batched: false };
    return { x: this.batchFirst ? input.transpose(0, 1) : input, batched: true };
  }

  /**
   * An initial state given as [L·D, N, H] (or [L·D, H] unbatched): checked, then split into the
   * L·D per-layer, per-direction states [1, N, H] with one op; zeros when absent.
   */
  protected initialStates(
    what: string,
    t: Tensor | null | undefined,
    n: number,
    batched: boolean,
    input: Tensor,
  ): Tensor[] {
    const ld = this.numLayers * this.numDirections;
    const H = this.hiddenSize;
    if (t === null || t === undefined) {
      // Zeros where the input lives, in its dtype.
      const z = zeros([1, n, H], { dtype: input.dtype as "float32", device: input.device });
      return new Array<Tensor>(ld).fill(z);
    }
    const name = this.constructor.name;
    checkTensor(name, what, t);
    const want = batched ? [ld, n, H] : [ld, H];
    if (t.ndim !== want.length || t.shape.some((d, i) => d !== want[i])) {
      throw new Error(
        `${name}: ${what} of shape ${fmtShape(t.shape)} must be ${fmtShape(want)} ` +
          `([numLayers·numDirections${batched ? ", N" : ""}, hiddenSize])`,
      );
    }
    if (t.dtype !== input.dtype) {
      throw new Error(
        `${name}: ${what} is ${t.dtype} but the input is ${input.dtype}; cast one of them`,
      );
    }
    return splitEqual(batched ? t : t.unsqueeze(1), 0, ld);
  }

  /** One step: the projected input `xt` [1, N, G·H] and the previous state give the next. */
  protected abstract step(cell: Cell, xt: Tensor, s: State): State;

  /** The bias added to the whole sequence's projection: b_ih, and b_hh where it sums with it. */
  protected inputBias(cell: Cell): Tensor | null {
    if (cell.bIh === null || cell.bHh === null) return null;
    return this.kind === "GRU" ? cell.bIh : cell.bIh.add(cell.bHh);
  }

  /** Runs every layer and direction; returns the output [T, N, D·H] and the final states. */
  protected run(
    x: Tensor,
    h0: Tensor[],
    c0: Tensor[] | null,
  ): { out: Tensor; h: Tensor[]; c: Tensor[] } {
    const T = x.shape[0]!;
    const hs: Tensor[] = [];
    const cs: Tensor[] = [];
    let input = x;
    for (let l = 0; l < this.numLayers; l++) {
      const outs: Tensor[] = [];
      for (let d = 0; d < this.numDirections; d++) {
        const cell = this.cells[l]![d]!;
        const k = l * this.numDirections + d;
        // One GEMM for every time step's input projection, then one op to split it.
        const proj = linear(input, cell.wIh, this.inputBias(cell));
        const steps = T > 0 ? splitEqual(proj, 0, T) : [];
        let s: State = { h: h0[k]!, c: c0 === null ? null : c0[k]! };
        const seq = new Array<Tensor>(T);
        for (let i = 0; i < T; i++) {
          const t = d === 0 ? i : T - 1 - i;
          s = this.step(cell, steps[t]!, s);
          seq[t] = s.h;
        }
        outs.push(
          T > 0
            ? concat(seq, 0)
            : zeros([0, x.shape[1]!, this.hiddenSize], {
                dtype: x.dtype as "float32",
                device: x.device,
              }),
        );
        hs.push(s.h);
        if (s.c !== null) cs.push(s.c);
      }
      input = outs.length === 1 ? outs[0]! : concat(outs, 2);
      if (l < this.numLayers - 1 && this.training && this.dropout > 0) {
        input = dropout(input, this.dropout, true, this.generator);
      }
    }
    return { out: input, h: hs, c: cs };
  }

  /** [T, N, ·] back to the caller's layout. */
  protected finishOutput(out: Tensor, batched: boolean): Tensor {
    if (!batched) return out.squeeze(1);
    return this.batchFirst ? out.transpose(0, 1) : out;
  }

  /** The L·D final states [1, N, H] as [L·D, N, H] (or [L·D, H] unbatched). */
  protected finishState(parts: Tensor[], batched: boolean): Tensor {
    const s = concat(parts, 0);
    return batched ? s : s.squeeze(1);
  }

  /** PyTorch's RNNBase repr: the sizes, then the options that differ from the defaults. */
  override extraRepr(): string {
    const fields: Record<string, unknown> = {};
    if (this.numLayers !== 1) fields.numLayers = this.numLayers;
    if (!this.bias) fields.bias = false;
    if (this.batchFirst) fields.batchFirst = true;
    if (this.dropout !== 0) fields.dropout = this.dropout;
    if (this.bidirectional) fields.bidirectional = true;
    const extra = reprFields(fields);
    return `${this.inputSize}, ${this.hiddenSize}${extra === "" ? "" : `, ${extra}`}`;
  }
}

/**
 * torch.nn.RNN: h_t = act(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh), act tanh or relu.
 * `forward(input, h0?)` returns [output, h_n]: output [T, N, D·H] (batchFirst: [N, T, D·H]),
 * h_n [numLayers·D, N, H].
 */
export class RNN extends RNNBase {
  readonly nonlinearity: "tanh" | "relu";
  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const nl = options.nonlinearity ?? "tanh";
    if (nl !== "tanh" && nl !== "relu") {
      throw new Error(`RNN: nonlinearity must be "tanh" or "relu", got '${String(nl)}'`);
    }
    super(nl === "tanh" ? "RNN_TANH" : "RNN_RELU", inputSize, hiddenSize, options);
    this.nonlinearity = nl;
  }
  protected step(cell: Cell, xt: Tensor, s: State): State {
    const pre = xt.add(linear(s.h, cell.wHh, null));
    return { h: this.nonlinearity === "tanh" ? pre.tanh() : pre.relu(), c: null };
  }
  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const { x, batched } = this.prepareInput(input);
    const h = this.initialStates("h0", h0, x.shape[1]!, batched, x);
    const r = this.run(x, h, null);
    return [this.finishOutput(r.out, batched), this.finishState(r.h, batched)];
  }
}

/**
 * torch.nn.LSTM, gates in PyTorch's order i, f, g, o:
 *   i, f, o = σ(·), g = tanh(·) of x_t·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh,
 *   c_t = f·c_{t−1} + i·g,  h_t = o·tanh(c_t).
 * `forward(input, [h0, c0]?)` returns [output, [h_n, c_n]].
 */
export class LSTM extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super("LSTM", inputSize, hiddenSize, options);
  }
  protected step(cell: Cell, xt: Tensor, s: State): State {
    const gates = xt.add(linear(s.h, cell.wHh, null));
    const [i, f, g, o] = splitEqual(gates, 2, 4) as [Tensor, Tensor, Tensor, Tensor];
    const c = f.sigmoid().mul(s.c!).add(i.sigmoid().mul(g.tanh()));
    return { h: o.sigmoid().mul(c.tanh()), c };
  }
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]] {
    const { x, batched } = this.prepareInput(input);
    if (hx !== null && hx !== undefined && (!Array.isArray(hx) || hx.length !== 2)) {
      throw new Error("LSTM: the initial state must be [h0, c0] (or null)");
    }
    const n = x.shape[1]!;
    const h = this.initialStates("h0", hx?.[0], n, batched, x);
    const c = this.initialStates("c0", hx?.[1], n, batched, x);
    const r = this.run(x, h, c);
    return [
      this.finishOutput(r.out, batched),
      [this.finishState(r.h, batched), this.finishState(r.c, batched)],
    ];
  }
}

/**
 * torch.nn.GRU, gates in PyTorch's order r, z, n:
 *   r = σ(x·W_irᵀ + b_ir + h·W_hrᵀ + b_hr),  z = σ(x·W_izᵀ + b_iz + h·W_hzᵀ + b_hz),
 *   n = tanh(x·W_inᵀ + b_in + r·(h·W_hnᵀ + b_hn)),  h_t = (1 − z)·n + z·h_{t−1}.
 * `forward(input, h0?)` returns [output, h_n].
 */
export class GRU extends RNNBase {
  constructor(inputSize: number, hiddenSize: number, options: RNNBaseOptions = {}) {
    super("GRU", inputSize, hiddenSize, options);
  }
  protected step(cell: Cell, xt: Tensor, s: State): State {
    const H = this.hiddenSize;
    // b_hn stays inside r·(…), so the recurrent bias is applied here, not folded into xt.
    const gh = linear(s.h, cell.wHh, cell.bHh);
    const [xrz, xn] = splitOp(xt, 2, [2 * H, H]) as [Tensor, Tensor];
    const [hrz, hn] = splitOp(gh, 2, [2 * H, H]) as [Tensor, Tensor];
    const [r, z] = splitEqual(xrz.add(hrz).sigmoid(), 2, 2) as [Tensor, Tensor];
    const n = xn.add(r.mul(hn)).tanh();
    // (1 − z)·n + z·h = n + z·(h − n).
    return { h: n.add(z.mul(s.h.sub(n))), c: null };
  }
  forward(input: Tensor, h0?: Tensor | null): [Tensor, Tensor] {
    const { x, batched } = this.prepareInput(input);
    const h = this.initialStates("h0", h0, x.shape[1]!, batched, x);
    const r = this.run(x, h, null);
    return [this.finishOutput(r.out, batched), this.finishState(r.h, batched)];
  }
}
