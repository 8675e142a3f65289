/**
 * Seeded fuzzing of checkpoint restore: mutated bytes, mutated metadata and mutated tensors.
 * Every outcome must be a clean error (`safetensors:` or `checkpoint:`) that leaves the model,
 * the optimizer, the scheduler and the generators exactly as they were, or an accepted file
 * whose weights are all in the model — never a module half-written.
 */
import {
  type Checkpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  Generator,
  randn,
  type Tensor,
  tensor,
} from "@tapegrad/core";
import { AdamW, cosineDecay, LRScheduler } from "@tapegrad/optim";
import { describe, expect, it } from "vitest";
import {
  captureTrainingState,
  decodeTrainingState,
  Linear,
  ReLU,
  restoreTrainingState,
  Sequential,
} from "../src/index.js";

function makeRun(seed: number) {
  const init = new Generator(seed);
  const data = new Generator(seed + 1);
  const model = new Sequential(
    new Linear(4, 6, { generator: init }),
    new ReLU(),
    new Linear(6, 3, { generator: init }),
  );
  const optimizer = new AdamW(model.parameters(), { lr: 0.01, amsgrad: seed % 2 === 0 });
  const scheduler = new LRScheduler(optimizer, cosineDecay(50));
  for (let s = 0; s < 2; s++) {
    for (const p of model.parameters()) p.grad = randn(p.shape, { generator: data });
    optimizer.step();
    scheduler.step();
  }
  return { model, optimizer, scheduler, generators: { init, data } };
}
type Run = ReturnType<typeof makeRun>;

/** Everything a restore may change, as plain data. */
function snapshot(run: Run): string {
  const sd = run.optimizer.stateDict();
  return JSON.stringify({
    model: Object.entries(run.model.stateDict()).map(([k, t]) => [k, t.dtype, t.toList()]),
    optimizer: [sd.meta, Object.entries(sd.state).map(([k, t]) => [k, t.toList()])],
    scheduler: run.scheduler.stateDict(),
    lr: run.optimizer.paramGroups.map((g) => g.lr),
    generators: Object.values(run.generators).map((g) => g.getState()),
  });
}

/** Try one restore into `target`; returns "accepted" or "rejected", asserting the contract. */
function attempt(target: Run, restore: () => void): "accepted" | "rejected" {
  const before = snapshot(target);
  try {
    restore();
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).constructor).toBe(Error); // never a TypeError or RangeError from a bug
    expect((e as Error).message).toMatch(/^(safetensors|checkpoint): /);
    expect(snapshot(target)).toBe(before);
    return "rejected";
  }
  return "accepted";
}

/** An accepted checkpoint is in the model whole: every model tensor equals the file's. */
function expectModelIs(run: Run, ckpt: Checkpoint): void {
  for (const [k, t] of Object.entries(run.model.stateDict())) {
    const src = ckpt.tensors[`model.${k}`]!;
    expect(t.toList()).toEqual(tensor(Array.from(src.data), { dtype: t.dtype }).toList());
  }
}

const REPLACEMENTS: unknown[] = [null, -1, 0, 1.5, 2 ** 40, "x", [], {}, [0, 0, 0, 0], true];

/** Every path into a JSON value, so a mutation can land anywhere in the metadata. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === "object")
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function mutateMeta(meta: unknown, gen: Generator): Record<string, unknown> {
  const copy = JSON.parse(JSON.stringify(meta)) as Record<string, unknown>;
  const all = paths(copy).filter((p) => p.length > 0);
  const path = all[gen.randint(0, all.length)]!;
  let parent = copy as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (gen.random() < 0.2 && !Array.isArray(parent)) delete parent[last];
  else parent[last] = REPLACEMENTS[gen.randint(0, REPLACEMENTS.length)];
  return copy;
}

function mutateTensors(tensors: Record<string, Tensor>, gen: Generator): Record<string, Tensor> {
  const out = { ...tensors };
  const keys = Object.keys(out);
  const key = keys[gen.randint(0, keys.length)]!;
  const t = out[key]!;
  switch (gen.randint(0, 5)) {
    case 0:
      delete out[key];
      break;
    case 1:
      out[`${key}x`] = t;
      delete out[key];
      break;
    case 2:
      out[key] = randn([t.size + 1], { generator: gen });
      break;
    case 3:
      out[key] = tensor(
        Array.from(t.data, (v) => Math.round(v)),
        { dtype: "int32" },
      ).reshape(...t.shape);
      break;
    default:
      out[key] = t.reshape(-1);
  }
  return out;
}

describe("restoring a mutated checkpoint is all or nothing (issue 9, seeded fuzz)", () => {
  const source = makeRun(2);
  const ckpt = captureTrainingState(source);
  const bytes = encodeCheckpoint(ckpt);

  it("mutated bytes: a clean error and nothing changed, or the whole file loaded", () => {
    const gen = new Generator(9001);
    const tally = { accepted: 0, rejected: 0 };
    const target = makeRun(4);
    for (let trial = 0; trial < 1000; trial++) {
      const b = bytes.slice();
      for (let j = 0, k = 1 + gen.randint(0, 4); j < k; j++) {
        // Most mutations land in the header (JSON metadata included), some in the weights.
        const at = gen.random() < 0.8 ? gen.randint(0, 8 + 2000) : gen.randint(0, b.length);
        b[Math.min(at, b.length - 1)] = gen.randint(0, 256);
      }
      const outcome = attempt(target, () => decodeTrainingState(b, target));
      tally[outcome]++;
      if (outcome === "accepted") expectModelIs(target, decodeCheckpoint(b));
    }
    expect(tally.rejected).toBeGreaterThan(300);
    expect(tally.accepted).toBeGreaterThan(10);
  });

  it("mutated metadata (optimizer groups and steps, scheduler, generators, extra)", () => {
    const gen = new Generator(77);
    const tally = { accepted: 0, rejected: 0 };
    const target = makeRun(6);
    for (let trial = 0; trial < 800; trial++) {
      const mutated = { tensors: ckpt.tensors, meta: mutateMeta(ckpt.meta, gen) };
      const b = encodeCheckpoint(mutated);
      const outcome = attempt(target, () => decodeTrainingState(b, target));
      tally[outcome]++;
      if (outcome === "accepted") expectModelIs(target, mutated);
    }
    expect(tally.rejected).toBeGreaterThan(150);
    expect(tally.accepted).toBeGreaterThan(30);
  });

  it("mutated tensors (dropped, renamed, reshaped, retyped)", () => {
    const gen = new Generator(5);
    const tally = { accepted: 0, rejected: 0 };
    const target = makeRun(8);
    for (let trial = 0; trial < 400; trial++) {
      const mutated = { tensors: mutateTensors(ckpt.tensors, gen), meta: ckpt.meta };
      const outcome = attempt(target, () => restoreTrainingState(mutated, target));
      tally[outcome]++;
      if (outcome === "accepted") expectModelIs(target, mutated);
    }
    expect(tally.rejected).toBeGreaterThan(200);
  });
});

describe("restoreTrainingState names what is wrong (issue 9)", () => {
  const source = makeRun(2);
  const ckpt = captureTrainingState(source);
  const meta = ckpt.meta as Record<string, Record<string, unknown>>;
  const withMeta = (m: Record<string, unknown>): Checkpoint => ({ tensors: ckpt.tensors, meta: m });

  it("a missing exp_avg_sq is an error, not zeros; the model is untouched", () => {
    const target = makeRun(4);
    const before = snapshot(target);
    const tensors = { ...ckpt.tensors };
    delete tensors["optimizer.state.0.exp_avg_sq"];
    expect(() => restoreTrainingState({ tensors, meta: ckpt.meta }, target)).toThrow(
      /^checkpoint: AdamW\.loadStateDict: parameter 0 has a step count but no 'exp_avg_sq' buffer/,
    );
    expect(snapshot(target)).toBe(before);
  });

  it("groups[0] = null, bad baseLrs and an all-zero generator state are clean errors", () => {
    const target = makeRun(4);
    const before = snapshot(target);
    const optimizer = meta.optimizer as { groups: unknown[] };
    expect(() =>
      restoreTrainingState(
        withMeta({ ...meta, optimizer: { ...optimizer, groups: [null] } }),
        target,
      ),
    ).toThrow(/^checkpoint: AdamW\.loadStateDict: group 0 must be an object/);
    expect(() =>
      restoreTrainingState(
        withMeta({ ...meta, scheduler: { lastStep: 2, baseLrs: [Number.NaN] } }),
        target,
      ),
    ).toThrow(/^checkpoint: LRScheduler\.loadStateDict: baseLrs\[0\]/);
    expect(() =>
      restoreTrainingState(
        withMeta({ ...meta, generators: { ...meta.generators, data: [0, 0, 0, 0] } }),
        target,
      ),
    ).toThrow(/^checkpoint: generator 'data': .*all-zero state/);
    expect(snapshot(target)).toBe(before);
  });

  it("a scheduler that fails after the optimizer loaded rolls the optimizer back", () => {
    const target = makeRun(4);
    const before = snapshot(target);
    const failing = {
      stateDict: () => ({}),
      loadStateDict: () => {
        throw new Error("scheduler says no");
      },
    };
    expect(() => restoreTrainingState(ckpt, { ...target, scheduler: failing })).toThrow(
      /^checkpoint: scheduler says no/,
    );
    expect(snapshot(target)).toBe(before);
  });
});
