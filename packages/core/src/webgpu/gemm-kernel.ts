/**
 * The WGSL of the GEMM (see matmul.ts): a 16×16 workgroup computes a 64×64 block of C, each
 * thread a 4×4 register tile, from 64×16 panels of A and B staged in workgroup memory. Its
 * parameter words: 0–2 M, N, K; 3–11 A's, B's and C's offset, row and column strides; 12–14
 * the bias's offset and stride and the pre-activation's offset; 15 the first batch index;
 * 16–27 three batch levels (sizes, then A's, B's and C's strides); 28–36 three reduce levels
 * (sizes, A's and B's strides); 37 flags; 38 the activation.
 */
import type { GemmActivation } from "./matmul.js";
import { GELU_EXACT, GELU_EXTRA, GELU_TANH } from "./ops-elementwise.js";
import type { GpuKernel } from "./runtime.js";
import { bindings, memo } from "./wgsl.js";

/** The tile: rows and columns of C per workgroup, and the depth of a panel. */
export const BM = 64;
export const BN = 64;
const BK = 16;

/** Flags (parameter word 37): how panels are loaded, and what the epilogue does. */
export const A_K = 1;
export const B_N = 2;
export const BIAS = 4;
export const PRE = 8;
export const ACC = 16;
/** The activation codes (parameter word 38). */
export const ACT: Record<GemmActivation, number> = { relu: 1, gelu: 2, gelu_tanh: 3 };

/** Both GEMM kernels' bindings and epilogue activation. */
const GEMM_PRELUDE = `${bindings([
  ["A", "f32", "read"],
  ["B", "f32", "read"],
  ["C", "f32", "read_write"],
  ["bias", "f32", "read"],
  ["H", "f32", "read_write"],
])}
${GELU_EXTRA}
fn act_(v: f32, code: u32) -> f32 {
  switch code {
    case 1u: { return max(v, 0.0); }
    case 2u: { return ${GELU_EXACT}; }
    case 3u: { return ${GELU_TANH}; }
    default: { return v; }
  }
}
`;

/** WGSL: this batch entry's offsets aB, bB, cB from its index, over three levels. */
const BATCH_OFFSETS = `  var z = w.z + p[15];
  var aB = p[3]; var bB = p[6]; var cB = p[9];
  for (var l = 0u; l < 3u; l++) {
    let q = 2u - l;
    let s = p[16u + q];
    let c = z % s;
    z = z / s;
    aB += c * p[19u + q]; bB += c * p[22u + q]; cB += c * p[25u + q];
  }`;

/** WGSL: the offsets aR, bR of reduce step r (a summed broadcast batch dim), three levels. */
const REDUCE_OFFSETS = `    var rr = r;
    var aR = aB; var bR = bB;
    for (var l = 0u; l < 3u; l++) {
      let q = 2u - l;
      let s = p[28u + q];
      let c = rr % s;
      rr = rr / s;
      aR += c * p[31u + q]; bR += c * p[34u + q];
    }`;

/**
 * The one GEMM kernel. SwiftShader takes seconds to compile a kernel with workgroup barriers,
 * so the variants (operand layouts, bias, activation) are uniform branches on parameters
 * rather than separate pipelines; unused bindings get a placeholder buffer.
 */
export const gemmKernel = memo(
  (): GpuKernel => ({
    name: "gemm",
    code: `@group(0) @binding(0) var<storage, read> p: array<u32>;
${GEMM_PRELUDE}
var<workgroup> As: array<vec4<f32>, ${(BK * BM) / 4}>;
var<workgroup> Bs: array<vec4<f32>, ${(BK * BN) / 4}>;
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) w: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = p[0]; let N = p[1]; let K = p[2];
  let aRs = p[4]; let aCs = p[5]; let bRs = p[7]; let bCs = p[8];
  let cRs = p[10]; let cCs = p[11];
  let biasOff = p[12]; let biasSt = p[13]; let hOff = p[14];
  let flags = p[37]; let act = p[38];
  let aK = (flags & ${A_K}u) != 0u; let bN = (flags & ${B_N}u) != 0u;
  let tx = lid.x; let ty = lid.y; let tid = ty * 16u + tx;
  let m0 = w.y * ${BM}u; let n0 = w.x * ${BN}u;
  // This entry's offsets from its batch index, over three levels (outermost first).
${BATCH_OFFSETS}
  let R = p[28] * p[29] * p[30];
  var acc0 = vec4<f32>(0.0); var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0); var acc3 = vec4<f32>(0.0);
  for (var r = 0u; r < R; r++) {
${REDUCE_OFFSETS}
    for (var k0 = 0u; k0 < K; k0 += ${BK}u) {
      // Element e of a 1024-element panel: consecutive threads read consecutive addresses
      // along the operand's smaller stride.
      for (var i = 0u; i < 4u; i++) {
        let e = tid + i * 256u;
        let kk = select(e / 64u, e % 16u, aK);
        let mm = select(e % 64u, e / 16u, aK);
        let m = m0 + mm; let k = k0 + kk;
        var x = 0.0;
        if (m < M && k < K) { x = A[aR + m * aRs + k * aCs]; }
        As[kk * 16u + mm / 4u][mm % 4u] = x;
      }
      for (var i = 0u; i < 4u; i++) {
        let e = tid + i * 256u;
        let kk = select(e % 16u, e / 64u, bN);
        let nn = select(e / 16u, e % 64u, bN);
        let n = n0 + nn; let k = k0 + kk;
        var x = 0.0;
        if (n < N && k < K) { x = B[bR + k * bRs + n * bCs]; }
        Bs[kk * 16u + nn / 4u][nn % 4u] = x;
      }
      workgroupBarrier();
      for (var kk = 0u; kk < ${BK}u; kk++) {
        let a = As[kk * 16u + ty];
        let b = Bs[kk * 16u + tx];
        acc0 += a.x * b; acc1 += a.y * b; acc2 += a.z * b; acc3 += a.w * b;
      }
      workgroupBarrier();
    }
  }
  var accs = array<vec4<f32>, 4>(acc0, acc1, acc2, acc3);
  for (var i = 0u; i < 4u; i++) {
    let m = m0 + ty * 4u + i;
    if (m >= M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + tx * 4u + j;
      if (n >= N) { break; }
      let at = cB + m * cRs + n * cCs;
      var x = accs[i][j];
      if ((flags & ${ACC}u) != 0u) { x += C[at]; }
      if ((flags & ${BIAS}u) != 0u) { x += bias[biasOff + n * biasSt]; }
      if ((flags & ${PRE}u) != 0u) { H[hOff + at] = x; }
      C[at] = act_(x, act);
    }
  }
}`,
  }),
);

/** Products up to this many multiply-adds per batch entry take the small kernel. */
export const SMALL_GEMM_MACS = 1 << 20;
/** The small kernel's tile: one thread per element of C, 16×16 per workgroup. */
export const SM = 16;

/**
 * The GEMM for small products (the per-head attention products, small linears): one thread per
 * element of C summing over k in order — the same order as the tiled kernel — with no workgroup
 * memory or barriers, which cost more than they save at these sizes (and take SwiftShader
 * seconds to compile). Same parameter words as the tiled kernel.
 */
export const smallGemmKernel = memo(
  (): GpuKernel => ({
    name: "gemm-small",
    code: `@group(0) @binding(0) var<storage, read> p: array<u32>;
${GEMM_PRELUDE}
@compute @workgroup_size(${SM}, ${SM})
fn main(@builtin(workgroup_id) w: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let M = p[0]; let N = p[1]; let K = p[2];
  let m = w.y * ${SM}u + lid.y; let n = w.x * ${SM}u + lid.x;
  if (m >= M || n >= N) { return; }
  let aRs = p[4]; let aCs = p[5]; let bRs = p[7]; let bCs = p[8];
  let flags = p[37];
${BATCH_OFFSETS}
  let R = p[28] * p[29] * p[30];
  var acc = 0.0;
  for (var r = 0u; r < R; r++) {
${REDUCE_OFFSETS}
    let ar = aR + m * aRs; let bc = bR + n * bCs;
    for (var k = 0u; k < K; k++) { acc += A[ar + k * aCs] * B[bc + k * bRs]; }
  }
  let at = cB + m * p[10] + n * p[11];
  var x = acc;
  if ((flags & ${ACC}u) != 0u) { x += C[at]; }
  if ((flags & ${BIAS}u) != 0u) { x += bias[p[12] + n * p[13]]; }
  if ((flags & ${PRE}u) != 0u) { H[p[14] + at] = x; }
  C[at] = act_(x, p[38]);
}`,
  }),
);
