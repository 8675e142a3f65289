import { isAbsolute, resolve } from "node:path";
import { parseArgs } from "node:util";
import { type Config, DEFAULTS } from "./config.js";
import { UserError } from "./errors.js";

/** Flags that set a config field: flag name → [config key, kind]. */
const CONFIG_FLAGS = {
  epochs: ["epochs", "posint"],
  "batch-size": ["batchSize", "posint"],
  "d-model": ["dModel", "posint"],
  heads: ["heads", "posint"],
  layers: ["layers", "posint"],
  ff: ["ff", "posint"],
  dropout: ["dropout", "prob"],
  lr: ["lr", "posnum"],
  "weight-decay": ["weightDecay", "nonneg"],
  warmup: ["warmup", "nonnegint"],
  seed: ["seed", "int"],
  limit: ["limit", "posint"],
  augment: ["augment", "nonnegint"],
  norm: ["norm", ["layer", "rms", "batch", "none"]],
  placement: ["placement", ["pre", "post"]],
  positions: ["positions", ["learned", "sinusoidal"]],
  dataset: ["dataset", ["mnist", "names"]],
} as const satisfies Record<string, [keyof Config, string | readonly string[]]>;

export const OPTIONS = {
  ...Object.fromEntries(Object.keys(CONFIG_FLAGS).map((k) => [k, { type: "string" as const }])),
  "no-residual": { type: "boolean" },
  out: { type: "string" },
  resume: { type: "string" },
  quiet: { type: "boolean" },
  variants: { type: "string" },
  nonfinite: { type: "string" },
  device: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** What to do when a step's loss or gradient norm is NaN or infinite. */
export type NonFinitePolicy = "stop" | "skip";

export function nonFinitePolicy(values: Parsed["values"]): NonFinitePolicy {
  const raw = values.nonfinite;
  if (raw === undefined) return "stop";
  if (raw !== "stop" && raw !== "skip") {
    throw new UserError(`--nonfinite must be one of stop, skip; got '${String(raw)}'`);
  }
  return raw;
}

/** Where to train: a device, or `auto` (WebGPU when an adapter is found, else the CPU). */
export type DeviceChoice = "cpu" | "webgpu" | "auto";

export function deviceFlag(values: Parsed["values"]): DeviceChoice {
  const raw = values.device;
  if (raw === undefined) return "cpu";
  if (raw !== "cpu" && raw !== "webgpu" && raw !== "auto") {
    throw new UserError(`--device must be one of cpu, webgpu, auto; got '${String(raw)}'`);
  }
  return raw;
}

const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity$)/;

/**
 * Normalize argv before parsing: npm/pnpm users type `pnpm train -- --help` and pnpm passes the
 * `--` through (the CLI has no use for an end-of-options marker), and `--lr -1` would otherwise
 * read as an unknown option `-1`: a negative number after a flag that takes a value is its value.
 */
export function normalizeArgv(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") continue;
    const name = a.startsWith("--") ? a.slice(2) : null;
    const takesValue =
      name !== null && (OPTIONS as Record<string, { type: string }>)[name]?.type === "string";
    const next = argv[i + 1];
    if (takesValue && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export interface Parsed {
  command: string;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
}

export function parse(argv: string[]): Parsed {
  let result: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    result = parseArgs({
      args: normalizeArgv(argv),
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    const msg = (e as Error).message;
    const unknown = /Unknown option '([^']+)'/.exec(msg);
    if (unknown) throw new UserError(`unknown option ${unknown[1]} (see --help)`);
    throw new UserError(`${msg.split("\n")[0]!.replace(/\.$/, "")} (see --help)`);
  }
  const [command = "train", ...positionals] = result.positionals;
  return { command, positionals, values: result.values as Parsed["values"] };
}

function parseValue(flag: string, raw: string, kind: string | readonly string[]): unknown {
  if (typeof kind !== "string") {
    if (!kind.includes(raw)) {
      throw new UserError(`--${flag} must be one of ${kind.join(", ")}; got '${raw}'`);
    }
    return raw;
  }
  const n = Number(raw);
  const bad = (what: string) => new UserError(`--${flag} must be ${what}; got '${raw}'`);
  if (raw.trim() === "" || !Number.isFinite(n)) throw bad("a number");
  switch (kind) {
    case "posint":
      if (!Number.isInteger(n) || n < 1) throw bad("a positive integer");
      break;
    case "nonnegint":
      if (!Number.isInteger(n) || n < 0) throw bad("a non-negative integer");
      break;
    case "int":
      if (!Number.isInteger(n)) throw bad("an integer");
      break;
    case "posnum":
      if (!(n > 0)) throw bad("a positive number");
      break;
    case "nonneg":
      if (!(n >= 0)) throw bad("a non-negative number");
      break;
    case "prob":
      if (!(n >= 0 && n < 1)) throw bad("in [0, 1)");
      break;
  }
  return n;
}

/** The config fields the user set explicitly on the command line. */
export function explicitConfig(values: Parsed["values"]): Partial<Config> {
  const out: Record<string, unknown> = {};
  for (const [flag, [key, kind]] of Object.entries(CONFIG_FLAGS)) {
    const raw = values[flag];
    if (typeof raw === "string") out[key] = parseValue(flag, raw, kind);
  }
  if (values["no-residual"]) out.residual = false;
  return out as Partial<Config>;
}

/** Defaults of the chosen dataset, overridden by the flags; checked for consistency. */
export function buildConfig(values: Parsed["values"]): Config {
  const given = explicitConfig(values);
  const config: Config = { ...DEFAULTS[given.dataset ?? "mnist"], ...given };
  checkConfig(config);
  return config;
}

/** The most parameters a run may ask for: enough for any run here, far below memory limits. */
export const MAX_PARAMETERS = 50_000_000;

/**
 * About how many parameters the encoder has (attention, feed-forward and norms per layer, plus
 * the embedding, positions and head), so a size that cannot fit is refused before anything is
 * allocated or written.
 */
export function approximateParameters(c: Config): number {
  const d = c.dModel;
  const perLayer = 4 * d * d + 4 * d + 2 * d * c.ff + c.ff + d + 4 * d;
  return c.layers * perLayer + 64 * d + 64 * d + 10 * d;
}

export function checkConfig(c: Config): void {
  if (c.dModel % c.heads !== 0) {
    throw new UserError(`--d-model ${c.dModel} must be divisible by --heads ${c.heads}`);
  }
  const n = approximateParameters(c);
  if (n > MAX_PARAMETERS) {
    const en = (x: number) => Math.round(x).toLocaleString("en-US");
    throw new UserError(
      `--d-model ${c.dModel}, --ff ${c.ff} and --layers ${c.layers} make a model of about ` +
        `${en(n)} parameters; this app allows up to ${en(MAX_PARAMETERS)}, on either device`,
    );
  }
}

/** A path flag's value; an empty one would silently mean the current folder. */
export function pathFlag(values: Parsed["values"], flag: "out" | "resume"): string | undefined {
  const raw = values[flag];
  if (typeof raw !== "string") return undefined;
  if (raw.trim() === "") throw new UserError(`--${flag} must not be empty`);
  return userPath(raw);
}

/** Flag spelling of a config key, for messages. */
export function flagOf(key: keyof Config): string {
  if (key === "residual") return "--no-residual";
  const entry = Object.entries(CONFIG_FLAGS).find(([, [k]]) => k === key);
  return `--${entry ? entry[0] : key}`;
}

/**
 * Paths the user typed are relative to where they ran `pnpm train` (pnpm runs the script in
 * the app's folder but keeps the original directory in INIT_CWD).
 */
export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(process.env.INIT_CWD ?? process.cwd(), p);
}

export const HELP = `Usage: pnpm train [command] [options]

Commands:
  train                      train a Transformer encoder classifier (default)
  evaluate <checkpoint>      print the test accuracy of a checkpoint (file or run directory)
  predict <checkpoint> <input...>
                             classify inputs: MNIST test-image indices, or first names
  compare                    train norm / placement / residual variants briefly, one report

Data and model:
  --dataset mnist|names      MNIST digits (default) or first names → gender
  --d-model N                width of the token vectors            (mnist default 32)
  --heads N                  attention heads                       (4)
  --layers N                 encoder layers                        (2)
  --ff N                     feed-forward hidden size              (64)
  --dropout P                dropout probability                   (0 mnist, 0.1 names)
  --norm layer|rms|batch|none    normalization in each layer       (layer)
  --placement pre|post       norm before the sublayer or after the residual add (pre)
  --no-residual              drop the residual connections
  --positions learned|sinusoidal position encoding                 (learned)
  --augment N                shift MNIST training digits by up to N pixels (1; 0 = off)

Training:
  --epochs N                 passes over the training set          (10)
  --batch-size N             examples per step                     (128 mnist, 64 names)
  --lr X                     peak AdamW learning rate              (5e-3 mnist, 3e-3 names)
  --weight-decay X           AdamW decoupled weight decay           (0.01)
  --warmup N                 linear warmup steps, then cosine decay (50 mnist, 100 names)
  --seed N                   seed for initialization, dropout and data order (0)
  --limit N                  class-balanced subset: N training, N/4 test examples (smoke tests)

  --nonfinite stop|skip      on a NaN/infinite loss or gradient: stop the run (default), or
                             skip that step; a non-finite state is never saved over a checkpoint
  --device cpu|webgpu|auto   train (or evaluate) on the CPU (default) or on the GPU through
                             WebGPU (in Node: the optional webgpu package); auto picks webgpu
                             when available

Output:
  --out DIR                  run directory (default apps/train-encoder/runs/<dataset>-<time>)
  --resume DIR               continue a stopped run from DIR/last.safetensors
  --quiet                    no progress bar: one plain line per epoch (CI logs)
  --variants a,b,...         compare only these variants (see README)
  -h, --help                 show this help

Examples:
  pnpm train
  pnpm train --dataset names
  pnpm train --device webgpu
  pnpm train --resume apps/train-encoder/runs/mnist-20250101-120000
  pnpm train evaluate apps/train-encoder/runs/mnist-20250101-120000
  pnpm train predict apps/train-encoder/runs/mnist-20250101-120000 0 17 512
  pnpm train predict apps/train-encoder/runs/names-20250101-120000 Alice Bob Kim
  pnpm train compare
`;
