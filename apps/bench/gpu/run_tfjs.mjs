// tfjs 4.22 on its WebGPU backend: the peers' model code (peers/bench_tfjs.mjs, composed-LN path), as
// measured in /work/shared/gpu.
import {
  bench,
  env,
  MM_N,
  MM_REPS,
  MM_WARMUP,
  pkgVersion,
  randInt,
  randnF32,
  refCorners,
  SPEC,
  specGflop,
  TR_MAX_S,
  TR_STEPS,
  TR_WARMUP,
} from "./common.mjs";

/** Open the library on its device; `emit(base, record)` writes one result line. */
export async function open({ emit, args }) {
  const tf = await import("@tensorflow/tfjs");
  await import("@tensorflow/tfjs-backend-webgpu"); // registers 'webgpu' (navigator.gpu must exist already)
  const tfBackend = env("BENCH_TF_BACKEND", "webgpu"); // 'cpu' = CPU cross-check of the same code
  if (!(await tf.setBackend(tfBackend))) throw new Error(`tf.setBackend("${tfBackend}") failed`);
  await tf.ready();
  const be = tf.backend();
  const base = {
    peer: "tfjs",
    version: `@tensorflow/tfjs ${pkgVersion("@tensorflow/tfjs")}, tfjs-backend-webgpu ${pkgVersion("@tensorflow/tfjs-backend-webgpu")}`,
    backend: `${tf.getBackend()} (dawn.node ${pkgVersion("webgpu")})`,
    backend_info: `timestamp-query=${be.supportTimestampQuery}`,
  };
  // Flush tfjs's pending command encoder and wait for the GPU queue to drain (no data readback).
  const gpuSync =
    tfBackend !== "webgpu"
      ? async () => {}
      : async () => {
          if (be.commandEncoder) {
            be.endComputePassEncoder();
            be.submitQueue();
          }
          await be.device.queue.onSubmittedWorkDone();
        };
  const t32 = (data, shape) => tf.tensor(data, shape, "float32");

  async function wlMatmul() {
    const n = MM_N;
    const a = t32(randnF32(n * n, 1), [n, n]);
    const b = t32(randnF32(n * n, 2), [n, n]);
    await gpuSync();
    let check = null;
    const runSync = async () => {
      const c = tf.matMul(a, b);
      await gpuSync();
      c.dispose();
    };
    const runRead = async () => {
      const c = tf.matMul(a, b);
      const corner = tf.slice(c, [n - 1, n - 1], [1, 1]);
      const v = await corner.data();
      if (check === null) {
        const d = await c.data();
        check = [d[0], d[n * n - 1], v[0]];
      }
      corner.dispose();
      c.dispose();
    };
    const s = await bench(runSync, { warmup: MM_WARMUP, reps: MM_REPS });
    const s2 = await bench(runRead, { warmup: 1, reps: MM_REPS });
    emit(base, {
      workload: `matmul ${n}x${n}x${n} f32`,
      gflops: Math.round(((2 * n ** 3) / (s.median_ms * 1e6)) * 10) / 10,
      ...s,
      readback_variant: {
        median_ms: s2.median_ms,
        min_ms: s2.min_ms,
        gflops: Math.round(((2 * n ** 3) / (s2.median_ms * 1e6)) * 10) / 10,
      },
      check_c00_cnn: check,
      ref_c00_cnn: refCorners(n, randnF32(n * n, 1), randnF32(n * n, 2)),
      notes:
        "tf.matMul; completion forced by flushing the backend command encoder + device.queue.onSubmittedWorkDone(); readback_variant = matMul + slice 1x1 + await data()",
    });
    a.dispose();
    b.dispose();
  }

  class ComposedLN {
    constructor(D) {
      this.gamma = tf.variable(tf.ones([D]));
      this.beta = tf.variable(tf.zeros([D]));
      this.trainableVars = [this.gamma, this.beta];
    }
    apply(x) {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(
        tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), this.gamma),
        this.beta,
      );
    }
  }
  function buildModel(sp) {
    const { vocab: V, seq_len: T, d_model: D, ffn: F, layers: L, classes: C } = sp;
    let seed = 100;
    const W = (shape, scale) =>
      tf.variable(
        t32(
          randnF32(
            shape.reduce((a, b) => a * b, 1),
            seed++,
            scale,
          ),
          shape,
        ),
      );
    const Z = (shape) => tf.variable(tf.zeros(shape));
    const LN = () => new ComposedLN(D);
    const p = {
      tok: W([V, D], 1),
      pos: W([T, D], 0.02),
      layers: [],
      lnf: LN(),
      wc: W([D, C], 1 / Math.sqrt(D)),
      bc: Z([C]),
    };
    for (let l = 0; l < L; l++) {
      p.layers.push({
        ln1: LN(),
        wqkv: W([D, 3 * D], 1 / Math.sqrt(D)),
        bqkv: Z([3 * D]),
        wo: W([D, D], 1 / Math.sqrt(D)),
        bo: Z([D]),
        ln2: LN(),
        w1: W([D, F], 1 / Math.sqrt(D)),
        b1: Z([F]),
        w2: W([F, D], 1 / Math.sqrt(F)),
        b2: Z([D]),
      });
    }
    const vars = [];
    const collect = (o) => {
      for (const v of Object.values(o)) {
        if (v instanceof tf.Variable) vars.push(v);
        else if (v?.trainableVars) vars.push(...v.trainableVars);
        else if (Array.isArray(v)) v.forEach(collect);
      }
    };
    collect(p);
    return { p, vars };
  }
  const gelu = (x) => tf.mul(x, tf.mul(0.5, tf.add(1, tf.erf(tf.div(x, Math.SQRT2)))));
  function forwardLoss(m, idx, labelsOneHot, sp, embedMode) {
    const { batch: B, seq_len: T, d_model: D, heads: H } = sp;
    const dh = D / H,
      BT = B * T;
    const { p } = m;
    let tokE;
    if (embedMode === "gather") tokE = tf.gather(p.tok, idx.reshape([BT]));
    else tokE = tf.matMul(tf.oneHot(idx.reshape([BT]), sp.vocab).toFloat(), p.tok);
    let x = tf.add(tokE.reshape([B, T, D]), p.pos).reshape([BT, D]);
    const heads = (t) => t.reshape([B, T, H, dh]).transpose([0, 2, 1, 3]);
    for (const l of p.layers) {
      const h = l.ln1.apply(x);
      const qkv = tf.add(tf.matMul(h, l.wqkv), l.bqkv);
      const [q, k, v] = tf.split(qkv, 3, 1);
      const att = tf.softmax(tf.mul(tf.matMul(heads(q), heads(k), false, true), 1 / Math.sqrt(dh)));
      const o = tf.matMul(att, heads(v)).transpose([0, 2, 1, 3]).reshape([BT, D]);
      x = tf.add(x, tf.add(tf.matMul(o, l.wo), l.bo));
      const h2 = l.ln2.apply(x);
      const f = tf.add(tf.matMul(gelu(tf.add(tf.matMul(h2, l.w1), l.b1)), l.w2), l.b2);
      x = tf.add(x, f);
    }
    x = p.lnf.apply(x);
    const pooled = tf.mean(x.reshape([B, T, D]), 1);
    const logits = tf.add(tf.matMul(pooled, p.wc), p.bc);
    return tf.losses.softmaxCrossEntropy(labelsOneHot, logits);
  }
  async function wlTransformer(batch) {
    const sp = { ...SPEC, batch };
    const embedMode = args.embed || "onehot";
    const before = tf.memory().numTensors;
    const m = buildModel(sp);
    const nparams = m.vars.reduce((a, v) => a + v.size, 0);
    const idx = tf.tensor(
      randInt(sp.batch * sp.seq_len, sp.vocab, 7),
      [sp.batch, sp.seq_len],
      "int32",
    );
    const lab = tf
      .oneHot(tf.tensor(randInt(sp.batch, sp.classes, 8), [sp.batch], "int32"), sp.classes)
      .toFloat();
    const opt = tf.train.adam(1e-3);
    const losses = [],
      nt = [];
    const step = async () => {
      const cost = opt.minimize(() => forwardLoss(m, idx, lab, sp, embedMode), true, m.vars);
      losses.push((await cost.data())[0]);
      cost.dispose();
      await gpuSync(); // Adam's variable updates were queued before the readback; make sure they finished
      nt.push(tf.memory().numTensors);
    };
    const s = await bench(step, { warmup: TR_WARMUP, reps: TR_STEPS, maxSeconds: TR_MAX_S });
    const mid = tf.memory().numTensors;
    const gf = specGflop(sp);
    emit(base, {
      workload: "transformer train step",
      batch,
      params: nparams,
      model_gflop_per_step: Math.round(gf * 1000) / 1000,
      gflops: Math.round((gf / (s.median_ms / 1e3)) * 10) / 10,
      loss_first: losses[0],
      loss_last: losses[losses.length - 1],
      steps_total: losses.length,
      losses: losses.map((x) => Math.round(x * 1e4) / 1e4),
      ...s,
      notes: `peers/bench_tfjs.mjs model, composed LN (tf.moments), GELU exact (erf), embedding=${embedMode}, tf.losses.softmaxCrossEntropy, tf.train.adam(1e-3) minimize; step ends with await cost.data() + queue drain; tensors before/after=${before}/${mid}, after step 1/last=${nt[0]}/${nt[nt.length - 1]}`,
    });
    opt.dispose();
    m.vars.forEach((v) => v.dispose());
    idx.dispose();
    lab.dispose();
  }

  return { base, matmul: wlMatmul, transformer: wlTransformer };
}
