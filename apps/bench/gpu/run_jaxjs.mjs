// jax-js 0.1.25 on WebGPU (jit): the peers' model code (peers/bench_jaxjs.mjs, jit path), as measured
// in /work/shared/gpu.
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
export async function open({ emit }) {
  const {
    init,
    defaultDevice,
    numpy: np,
    nn,
    jit,
    valueAndGrad,
    tree,
    blockUntilReady,
  } = await import("@jax-js/jax");
  const dev = env("BENCH_JAX_DEVICE", "webgpu"); // 'wasm' = CPU cross-check of the same code
  const devs = await init(dev);
  if (!devs.includes(dev)) throw new Error(`jax-js init('${dev}') gave devices=${devs}`);
  defaultDevice(dev);
  const base = {
    peer: "jax-js",
    version: `@jax-js/jax ${pkgVersion("@jax-js/jax")}`,
    backend: dev === "webgpu" ? `webgpu (dawn.node ${pkgVersion("webgpu")})` : dev,
    backend_info: `devices=${devs.join(",")} jit=true`,
  };
  const A = (data, shape) => np.array(data, { shape });

  async function wlMatmul() {
    const n = MM_N;
    const a = A(randnF32(n * n, 1), [n, n]);
    const b = A(randnF32(n * n, 2), [n, n]);
    await blockUntilReady([a, b]);
    const mm = jit((x, y) => np.matmul(x, y));
    let check = null;
    const run = async () => {
      const c = mm(a.ref, b.ref);
      await c.blockUntilReady();
      if (check === null) {
        const d = await c.data();
        check = [d[0], d[n * n - 1]];
      } else c.dispose();
    };
    const s = await bench(run, { warmup: MM_WARMUP, reps: MM_REPS });
    emit(base, {
      workload: `matmul ${n}x${n}x${n} f32`,
      gflops: Math.round(((2 * n ** 3) / (s.median_ms * 1e6)) * 10) / 10,
      ...s,
      check_c00_cnn: check,
      ref_c00_cnn: refCorners(n, randnF32(n * n, 1), randnF32(n * n, 2)),
      notes:
        "jit(np.matmul); completion forced by Array.blockUntilReady() (a 0-byte backend read after submit)",
    });
  }

  const layerNorm = (x, g, b) => nn.standardize(x, -1, { epsilon: 1e-5 }).mul(g).add(b);
  function initParams(sp) {
    const { vocab: V, seq_len: T, d_model: D, ffn: F, layers: L, classes: C } = sp;
    let seed = 100;
    const W = (shape, scale) =>
      A(
        randnF32(
          shape.reduce((a, b) => a * b, 1),
          seed++,
          scale,
        ),
        shape,
      );
    const ps = [];
    for (let l = 0; l < L; l++) {
      ps.push(
        np.ones([D]),
        np.zeros([D]),
        W([D, 3 * D], 1 / Math.sqrt(D)),
        np.zeros([3 * D]),
        W([D, D], 1 / Math.sqrt(D)),
        np.zeros([D]),
        np.ones([D]),
        np.zeros([D]),
        W([D, F], 1 / Math.sqrt(D)),
        np.zeros([F]),
        W([F, D], 1 / Math.sqrt(F)),
        np.zeros([D]),
      );
    }
    ps.push(
      W([V, D], 1),
      W([T, D], 0.02),
      np.ones([D]),
      np.zeros([D]),
      W([D, C], 1 / Math.sqrt(D)),
      np.zeros([C]),
    );
    return ps;
  }
  function makeLoss(sp) {
    const { batch: B, seq_len: T, d_model: D, heads: H, layers: L } = sp;
    const dh = D / H,
      BT = B * T;
    return (ps, idx, y) => {
      const G = L * 12;
      const [tok, pos, lnfg, lnfb, wc, bc] = ps.slice(G);
      const e = np.matmul(nn.oneHot(idx, sp.vocab), tok); // (BT, D); grad of np.take (scatter) is rejected by jit
      let x = e.reshape([B, T, D]).add(pos).reshape([BT, D]);
      for (let l = 0; l < L; l++) {
        const [ln1g, ln1b, wqkv, bqkv, wo, bo, ln2g, ln2b, w1, b1, w2, b2] = ps.slice(
          l * 12,
          l * 12 + 12,
        );
        const h = layerNorm(x.ref, ln1g, ln1b);
        const qkv = np.matmul(h, wqkv).add(bqkv);
        const [q, k, v] = np
          .split(qkv, 3, 1)
          .map((t) => np.transpose(t.reshape([B, T, H, dh]), [0, 2, 1, 3]));
        const att = nn.softmax(
          np.matmul(q, np.transpose(k, [0, 1, 3, 2])).mul(1 / Math.sqrt(dh)),
          -1,
        );
        const o = np.transpose(np.matmul(att, v), [0, 2, 1, 3]).reshape([BT, D]);
        x = x.add(np.matmul(o, wo).add(bo));
        const h2 = layerNorm(x.ref, ln2g, ln2b);
        const f = np.matmul(nn.gelu(np.matmul(h2, w1).add(b1), { approximate: false }), w2).add(b2);
        x = x.add(f);
      }
      x = layerNorm(x, lnfg, lnfb);
      const pooled = np.mean(x.reshape([B, T, D]), 1);
      const logits = np.matmul(pooled, wc).add(bc);
      return np.mean(np.sum(nn.logSoftmax(logits, -1).mul(y), -1)).mul(-1);
    };
  }
  function makeAdam(b1 = 0.9, b2 = 0.999, eps = 1e-8) {
    const upd = (ps, gs, ms, vs, stepSize, invSqrtBc2) => {
      const P = [],
        M = [],
        V = [];
      for (let i = 0; i < ps.length; i++) {
        const g = gs[i];
        const m = ms[i].mul(b1).add(g.ref.mul(1 - b1));
        const v = vs[i].mul(b2).add(g.ref.mul(g).mul(1 - b2));
        const denom = np.sqrt(v.ref).mul(invSqrtBc2.ref).add(eps);
        P.push(ps[i].sub(m.ref.mul(stepSize.ref).div(denom)));
        M.push(m);
        V.push(v);
      }
      stepSize.dispose();
      invSqrtBc2.dispose();
      return [P, M, V];
    };
    return jit(upd);
  }
  async function wlTransformer(batch) {
    const sp = { ...SPEC, batch };
    let ps = initParams(sp);
    const nparams = ps.reduce((a, p) => a + p.size, 0);
    let ms = ps.map((p) => np.zeros(p.shape)),
      vs = ps.map((p) => np.zeros(p.shape));
    const idx = np.array(randInt(sp.batch * sp.seq_len, sp.vocab, 7), {
      shape: [sp.batch * sp.seq_len],
      dtype: np.int32,
    });
    const y = nn.oneHot(
      np.array(randInt(sp.batch, sp.classes, 8), { shape: [sp.batch], dtype: np.int32 }),
      sp.classes,
    );
    const vg = jit(valueAndGrad(makeLoss(sp)));
    const adam = makeAdam();
    let t = 0;
    const losses = [];
    const step = async () => {
      t += 1;
      const [loss, gs] = vg(tree.ref(ps), idx.ref, y.ref);
      [ps, ms, vs] = adam(
        ps,
        gs,
        ms,
        vs,
        np.array(1e-3 / (1 - 0.9 ** t)),
        np.array(1 / Math.sqrt(1 - 0.999 ** t)),
      );
      losses.push((await loss.data())[0]);
      await blockUntilReady(ps);
    };
    const s = await bench(step, { warmup: TR_WARMUP, reps: TR_STEPS, maxSeconds: TR_MAX_S });
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
      notes:
        "peers/bench_jaxjs.mjs model (jit path): LN=nn.standardize+affine, attention=np.matmul+nn.softmax, nn.gelu exact, embedding=onehot@E; jit(valueAndGrad(loss)) + jit(Adam); step ends with await loss.data() + blockUntilReady(params)",
    });
    tree.dispose([ps, ms, vs]);
    idx.dispose();
    y.dispose();
  }

  return { base, matmul: wlMatmul, transformer: wlTransformer };
}
