/**
 * A tiny WebAssembly binary emitter, enough for the matmul kernels: one memory, functions of i32
 * params, v128 SIMD. It exists so the kernel can be generated at build time from npm-free code;
 * the runtime only ever sees the emitted bytes.
 */

export const I32 = 0x7f;
export const V128 = 0x7b;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function str(s: string): number[] {
  const b = [...new TextEncoder().encode(s)];
  return [...uleb(b.length), ...b];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

/** An instruction stream builder; methods append and return this for chaining. */
export class Code {
  readonly bytes: number[] = [];
  private op(...b: number[]): this {
    this.bytes.push(...b);
    return this;
  }
  private simd(code: number, ...imm: number[]): this {
    return this.op(0xfd, ...uleb(code), ...imm);
  }
  get(i: number) {
    return this.op(0x20, ...uleb(i));
  }
  set(i: number) {
    return this.op(0x21, ...uleb(i));
  }
  tee(i: number) {
    return this.op(0x22, ...uleb(i));
  }
  i32(n: number) {
    return this.op(0x41, ...sleb(n));
  }
  add() {
    return this.op(0x6a);
  }
  sub() {
    return this.op(0x6b);
  }
  mul() {
    return this.op(0x6c);
  }
  ne() {
    return this.op(0x47);
  }
  loop() {
    return this.op(0x03, 0x40);
  }
  end() {
    return this.op(0x0b);
  }
  brIf(depth: number) {
    return this.op(0x0d, ...uleb(depth));
  }
  /** v128.load with a static byte offset (alignment hint 16). */
  load(offset: number) {
    return this.simd(0x00, 4, ...uleb(offset));
  }
  store(offset: number) {
    return this.simd(0x0b, 4, ...uleb(offset));
  }
  /** v128.load32_splat / v128.load64_splat: load one scalar and splat it to every lane. */
  splat(bytes: 4 | 8, offset: number) {
    return bytes === 4 ? this.simd(0x09, 2, ...uleb(offset)) : this.simd(0x0a, 3, ...uleb(offset));
  }
  fadd(bytes: 4 | 8) {
    return this.simd(bytes === 4 ? 0xe4 : 0xf0);
  }
  fmul(bytes: 4 | 8) {
    return this.simd(bytes === 4 ? 0xe6 : 0xf2);
  }
  /** local[i] += n (i32). */
  inc(i: number, n: number) {
    return this.get(i).i32(n).add().set(i);
  }
}

export interface FuncDef {
  name: string;
  params: number;
  /** Extra locals as [count, type] groups. */
  locals: [number, number][];
  code: Code;
}

/** A module with one exported growable memory ("mem") and exported functions of i32 params. */
export function emitModule(funcs: FuncDef[]): Uint8Array {
  const types = funcs.map((f) => [0x60, ...vec(Array.from({ length: f.params }, () => [I32])), 0]);
  const bodies = funcs.map((f) => {
    const body = [...vec(f.locals.map(([n, t]) => [...uleb(n), t])), ...f.code.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  });
  const exports = [
    [...str("mem"), 0x02, 0],
    ...funcs.map((f, i) => [...str(f.name), 0x00, ...uleb(i)]),
  ];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(3, vec(funcs.map((_, i) => uleb(i)))),
    ...section(5, vec([[0x00, ...uleb(1)]])),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}
