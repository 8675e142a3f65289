// How a norm's statistics and affine parameters index the elements of its input, so that one set
// of WGSL kernels serves every norm. A *set* is what one workgroup reduces: the elements of one
// statistic (a row, a channel, a (sample, group)) or of one parameter (a column, a channel).
// Element t < m of set q sits at q·base + ⌊t / inner⌋·outer + t mod inner; element e belongs to
// statistic ⌊e / sdiv⌋ mod smod and uses parameter ⌊e / pdiv⌋ mod pmod.

/** The sets one workgroup each reduces: `count` sets of `m` elements. */
export interface SetLayout {
  count: number;
  m: number;
  base: number;
  inner: number;
  outer: number;
}

/** A norm's layout over an input of `size` elements. */
export interface NormLayout {
  size: number;
  /** The statistics' sets (mean and rstd, one each). */
  stats: SetLayout;
  /** The affine parameters' sets (dγ and dβ sum over them). */
  params: SetLayout;
  /** Element e → its statistic: ⌊e / sdiv⌋ mod smod. */
  sdiv: number;
  smod: number;
  /** Element e → its parameter: ⌊e / pdiv⌋ mod pmod. */
  pdiv: number;
  pmod: number;
}

/** LayerNorm / RMSNorm: `rows` contiguous rows of `cols`, normalized each; parameters per column. */
export function rowLayout(rows: number, cols: number): NormLayout {
  return {
    size: rows * cols,
    stats: { count: rows, m: cols, base: cols, inner: cols, outer: 0 },
    params: { count: cols, m: rows, base: 1, inner: 1, outer: cols },
    sdiv: Math.max(cols, 1),
    smod: Math.max(rows, 1),
    pdiv: 1,
    pmod: Math.max(cols, 1),
  };
}

/** The parameter sets of an (N, C, S) input: channel c is every (i, c, k). */
function channelSets(n: number, c: number, s: number): SetLayout {
  return { count: c, m: n * s, base: s, inner: Math.max(s, 1), outer: c * s };
}

/** BatchNorm over (N, C, S): statistics per channel, over N and S. */
export function batchLayout(n: number, c: number, s: number): NormLayout {
  return {
    size: n * c * s,
    stats: channelSets(n, c, s),
    params: channelSets(n, c, s),
    sdiv: Math.max(s, 1),
    smod: Math.max(c, 1),
    pdiv: Math.max(s, 1),
    pmod: Math.max(c, 1),
  };
}

/**
 * GroupNorm over (N, C, S) in `groups` groups: the channels of one group are contiguous, so each
 * (sample, group) is one run of C/G·S elements. InstanceNorm is the case groups = C.
 */
export function groupLayout(n: number, c: number, s: number, groups: number): NormLayout {
  const len = (c / groups) * s;
  return {
    size: n * c * s,
    stats: { count: n * groups, m: len, base: len, inner: Math.max(len, 1), outer: 0 },
    params: channelSets(n, c, s),
    sdiv: Math.max(len, 1),
    smod: Math.max(n * groups, 1),
    pdiv: Math.max(s, 1),
    pmod: Math.max(c, 1),
  };
}
