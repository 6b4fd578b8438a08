/**
 * An independent float64 reference of GPT-2 and RoBERTa, written from the equations in plain JavaScript loops over
 * arrays (no tfjs), reading the checkpoint straight from its safetensors bytes. It can also apply the probe method
 * (probe-method.ts) at every contract site, from the same closed-form parameter rule.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LINEAR_SITES, entryToTypedArray, parseSafetensors, type LinearSite } from '@peft/core';
import type { ProbeOptions } from './probe-method.js';

export type Vec = number[];

export interface RefTensor {
  readonly shape: number[];
  readonly data: Float64Array;
}

/** Every tensor of dir/model.safetensors as float64, by its HF name. */
export function readReferenceTensors(dir: string): Map<string, RefTensor> {
  const buf = readFileSync(join(dir, 'model.safetensors'));
  const file = parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  const out = new Map<string, RefTensor>();
  for (const [name, e] of file.tensors) out.set(name, { shape: [...e.shape], data: Float64Array.from(entryToTypedArray(e)) });
  return out;
}

export const readConfig = (dir: string) => JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, number>;

/** value[i] = fround(s·sin(0.7·i + 1.1·t + 0.3)): core's `sinusoidal`, re-derived. */
export function sinusoid(t: number, s: number, size: number): Float64Array {
  return Float64Array.from({ length: size }, (_, i) => Math.fround(s * Math.sin(0.7 * i + 1.1 * t + 0.3)));
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>, bOff = 0) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[bOff + i]!;
  return s;
};

/** x [in] · W, W row-major [in, out] (Conv1D layout). */
export function matVecInOut(x: Vec, w: Float64Array, out: number): Vec {
  const y = new Array<number>(out).fill(0);
  for (let i = 0; i < x.length; i++) for (let o = 0; o < out; o++) y[o]! += x[i]! * w[i * out + o]!;
  return y;
}
/** W·x with W row-major [out, in] (nn.Linear layout). */
export function matVecOutIn(x: Vec, w: Float64Array, out: number): Vec {
  return Array.from({ length: out }, (_, o) => dot(x, w, o * x.length));
}
const addv = (a: Vec, b: ArrayLike<number>) => a.map((v, i) => v + b[i]!);

export function layerNorm(x: Vec, g: Float64Array, b: Float64Array, eps: number): Vec {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length;
  return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * g[i]! + b[i]!);
}

export const geluTanhRef = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

/** erf by its Maclaurin series (|x| < 3) and its asymptotic expansion beyond (error < 1e-8). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  const x2 = ax * ax;
  const erfc = (Math.exp(-x2) / (ax * Math.sqrt(Math.PI))) * (1 - 1 / (2 * x2) + 3 / (4 * x2 * x2) - 15 / (8 * x2 ** 3) + 105 / (16 * x2 ** 4));
  return Math.sign(x) * (1 - erfc);
}
export const geluErfRef = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));

interface Spec {
  d: number;
  H: number;
  inner: number;
}

/** The probe's parameters of layer l, rebuilt from the closed-form rule. */
function probeParams(spec: Spec, l: number, o: ProbeOptions) {
  const { d, H, inner } = spec;
  const p = d / H;
  const U = new Map<LinearSite, { w: Float64Array; out: number }>();
  if (o.linear) {
    for (const [i, s] of LINEAR_SITES.entries()) {
      const [din, dout] = s === 'ffn.in' ? [d, inner] : s === 'ffn.out' ? [inner, d] : [d, d];
      U.set(s, { w: sinusoid(10 * l + i, 0.05, din * dout), out: dout });
    }
  }
  const l0 = o.shared ?? 0;
  return {
    U,
    sharedK: l0 ? sinusoid(100 + l, 1, H * l0 * p) : undefined,
    sharedV: l0 ? sinusoid(200 + l, 1, H * l0 * p) : undefined,
    w: o.afterOutput ? sinusoid(300 + l, 0.1, H * d) : undefined,
  };
}

/** y + x·U_site when the probe has linear hooks. */
function probeLinear(pp: ReturnType<typeof probeParams>, s: LinearSite, x: Vec, y: Vec): Vec {
  const u = pp.U.get(s);
  return u ? addv(y, matVecInOut(x, u.w, u.out)) : y;
}

/**
 * Multi-head kernel attention of one sequence with the probe's supports: q, k, v [n][d] → output [n][d] and λ [H][n].
 * `causal`: replacement of j > i by −1e4; `pad` [n]: additive (1 − mask)·(−1e4) added afterwards.
 */
function attention(
  q: Vec[],
  k: Vec[],
  v: Vec[],
  H: number,
  opts: { causal: boolean; pad?: Vec; probe?: ProbeOptions; pp?: ReturnType<typeof probeParams> },
): { out: Vec[]; lambda: number[][] } {
  const n = q.length;
  const d = q[0]!.length;
  const p = d / H;
  const scale = 1 / Math.sqrt(p);
  const l0 = opts.probe?.shared ?? 0;
  const out = q.map(() => new Array<number>(d).fill(0));
  const lambda = Array.from({ length: H }, () => new Array<number>(n).fill(0));
  for (let h = 0; h < H; h++) {
    const sl = (x: Vec) => x.slice(h * p, (h + 1) * p);
    for (let i = 0; i < n; i++) {
      const qi = sl(q[i]!);
      const logits: number[] = [];
      const logitsNoPad: number[] = [];
      const vals: Vec[] = [];
      for (let j = 0; j < l0; j++) {
        const off = (h * l0 + j) * p;
        const s = dot(qi, opts.pp!.sharedK!, off) * scale;
        logits.push(s);
        logitsNoPad.push(s);
        vals.push(Array.from(opts.pp!.sharedV!.subarray(off, off + p)));
      }
      for (let j = 0; j < n; j++) {
        let s = dot(qi, sl(k[j]!)) * scale;
        if (opts.causal && j > i) s = -1e4;
        logitsNoPad.push(s);
        logits.push(s + (opts.pad ? opts.pad[j]! : 0));
        vals.push(sl(v[j]!));
      }
      const mx = Math.max(...logits);
      const e = logits.map((s) => Math.exp(s - mx));
      const z = e.reduce((a, b) => a + b, 0);
      const f = new Array<number>(p).fill(0);
      e.forEach((w, j) => vals[j]!.forEach((x, c) => (f[c]! += (w / z) * x)));
      if (opts.probe?.perQuery) {
        const pk = qi.map((x) => 2 * Math.tanh(x));
        const a = dot(qi, pk) * scale;
        const lamLogits = opts.probe.lambdaIgnoresPaddingMask ? logitsNoPad : logits;
        const all = [a, ...lamLogits];
        const m2 = Math.max(...all);
        const lam = Math.exp(a - m2) / all.reduce((acc, s) => acc + Math.exp(s - m2), 0);
        lambda[h]![i] = lam;
        qi.forEach((x, c) => (f[c]! += lam * 0.5 * Math.tanh(x)));
      }
      for (let c = 0; c < p; c++) out[i]![h * p + c] = f[c]!;
    }
  }
  return { out, lambda };
}

function afterAttentionProbe(y: Vec, i: number, lambda: number[][], spec: Spec, probe: ProbeOptions | undefined, pp: ReturnType<typeof probeParams> | undefined): Vec {
  let r = y;
  if (probe?.afterOutput) {
    r = r.map((v, c) => v + lambda.reduce((s, lh, h) => s + lh[i]! * pp!.w![h * spec.d + c]!, 0));
  }
  if (probe?.outputs) r = r.map((v) => v + 0.1 * Math.tanh(v));
  return r;
}

export interface RefGpt2Input {
  ids: number[];
  types?: number[];
  /** 1 = attend, 0 = padding, over the n positions. */
  mask?: number[];
  /** Default 0 … n − 1 (+ probe.positionOffset). */
  positions?: number[];
}

/** GPT-2 of one sequence: the hidden states [L + 1][n][d] (block inputs and last output) and ln_f's output [n][d]. */
export function referenceGpt2(t: Map<string, RefTensor>, cfg: Record<string, number>, input: RefGpt2Input, probe?: ProbeOptions) {
  const d = cfg.n_embd!;
  const H = cfg.n_head!;
  const inner = cfg.n_inner ?? 4 * d;
  const eps = cfg.layer_norm_epsilon ?? 1e-5;
  const spec = { d, H, inner };
  const g = (name: string) => t.get(name)!.data;
  const offset = probe?.positionOffset ?? 0;
  const pos = (input.positions ?? input.ids.map((_, i) => i)).map((x) => x + offset);
  const row = (name: string, r: number) => Array.from(g(name).subarray(r * d, (r + 1) * d));
  let h: Vec[] = input.ids.map((id, i) => {
    let e = addv(row('wte.weight', id), row('wpe.weight', pos[i]!));
    if (input.types) e = addv(e, row('wte.weight', input.types[i]!));
    return e;
  });
  const pad = input.mask?.map((m) => (1 - m) * -10000);
  const states: Vec[][] = [];
  for (let l = 0; l < cfg.n_layer!; l++) {
    states.push(h);
    const P = `h.${l}.`;
    const pp = probe ? probeParams(spec, l, probe) : undefined;
    const x = h.map((v) => layerNorm(v, g(`${P}ln_1.weight`), g(`${P}ln_1.bias`), eps));
    const qkv = x.map((v) => addv(matVecInOut(v, g(`${P}attn.c_attn.weight`), 3 * d), g(`${P}attn.c_attn.bias`)));
    const lin = (s: LinearSite, xs: Vec[], ys: Vec[]) => (pp ? ys.map((y, i) => probeLinear(pp, s, xs[i]!, y)) : ys);
    const q = lin('attn.q', x, qkv.map((r) => r.slice(0, d)));
    const k = lin('attn.k', x, qkv.map((r) => r.slice(d, 2 * d)));
    const v = lin('attn.v', x, qkv.map((r) => r.slice(2 * d)));
    const att = attention(q, k, v, H, { causal: true, ...(pad ? { pad } : {}), ...(probe ? { probe, pp } : {}) });
    let y = att.out.map((a) => addv(matVecInOut(a, g(`${P}attn.c_proj.weight`), d), g(`${P}attn.c_proj.bias`)));
    y = lin('attn.o', att.out, y);
    y = y.map((yi, i) => afterAttentionProbe(yi, i, att.lambda, spec, probe, pp));
    h = h.map((hi, i) => addv(hi, y[i]!));
    const x2 = h.map((v2) => layerNorm(v2, g(`${P}ln_2.weight`), g(`${P}ln_2.bias`), eps));
    let u = x2.map((v2) => addv(matVecInOut(v2, g(`${P}mlp.c_fc.weight`), inner), g(`${P}mlp.c_fc.bias`)));
    u = lin('ffn.in', x2, u);
    const gl = u.map((r) => r.map(geluTanhRef));
    let z = gl.map((r) => addv(matVecInOut(r, g(`${P}mlp.c_proj.weight`), d), g(`${P}mlp.c_proj.bias`)));
    z = lin('ffn.out', gl, z);
    if (probe?.outputs) z = z.map((zi, i) => zi.map((val, c) => 0.9 * (val + 0.1 * Math.tanh(x2[i]![c]!)) + 0.05));
    h = h.map((hi, i) => addv(hi, z[i]!));
  }
  states.push(h);
  const hidden = h.map((v) => layerNorm(v, g('ln_f.weight'), g('ln_f.bias'), eps));
  return { hidden, states, logits: hidden.map((v) => matVecOutIn(v, g('wte.weight'), cfg.vocab_size!)) };
}

export interface RefRobertaInput {
  ids: number[];
  mask?: number[];
}

/** RoBERTa of one sequence: hidden states [L + 1][n][d] and the last layer's output [n][d]. */
export function referenceRoberta(
  t: Map<string, RefTensor>,
  cfg: Record<string, number>,
  input: RefRobertaInput,
  probe?: ProbeOptions,
  head?: { denseW: Float64Array; denseB: Float64Array; outW: Float64Array; outB: Float64Array; numLabels: number },
) {
  const d = cfg.hidden_size!;
  const H = cfg.num_attention_heads!;
  const inner = cfg.intermediate_size!;
  const eps = cfg.layer_norm_eps ?? 1e-5;
  const padIdx = cfg.pad_token_id ?? 1;
  const spec = { d, H, inner };
  const g = (name: string) => t.get(`roberta.${name}`)!.data;
  const row = (name: string, r: number) => Array.from(g(name).subarray(r * d, (r + 1) * d));
  let count = 0;
  const positions = input.ids.map((id) => (id === padIdx ? padIdx : padIdx + ++count));
  let h: Vec[] = input.ids.map((id, i) =>
    layerNorm(
      addv(addv(row('embeddings.word_embeddings.weight', id), row('embeddings.position_embeddings.weight', positions[i]!)), row('embeddings.token_type_embeddings.weight', 0)),
      g('embeddings.LayerNorm.weight'),
      g('embeddings.LayerNorm.bias'),
      eps,
    ),
  );
  const pad = input.mask?.map((m) => (1 - m) * -10000);
  const states: Vec[][] = [];
  for (let l = 0; l < cfg.num_hidden_layers!; l++) {
    states.push(h);
    const P = `encoder.layer.${l}.`;
    const pp = probe ? probeParams(spec, l, probe) : undefined;
    const dense = (name: string, xs: Vec[], out: number) => xs.map((x) => addv(matVecOutIn(x, g(`${P}${name}.weight`), out), g(`${P}${name}.bias`)));
    const lin = (s: LinearSite, xs: Vec[], ys: Vec[]) => (pp ? ys.map((y, i) => probeLinear(pp, s, xs[i]!, y)) : ys);
    const q = lin('attn.q', h, dense('attention.self.query', h, d));
    const k = lin('attn.k', h, dense('attention.self.key', h, d));
    const v = lin('attn.v', h, dense('attention.self.value', h, d));
    const att = attention(q, k, v, H, { causal: false, ...(pad ? { pad } : {}), ...(probe ? { probe, pp } : {}) });
    let y = lin('attn.o', att.out, dense('attention.output.dense', att.out, d));
    y = y.map((yi, i) => afterAttentionProbe(yi, i, att.lambda, spec, probe, pp));
    const a1 = y.map((yi, i) => layerNorm(addv(yi, h[i]!), g(`${P}attention.output.LayerNorm.weight`), g(`${P}attention.output.LayerNorm.bias`), eps));
    const u = lin('ffn.in', a1, dense('intermediate.dense', a1, inner));
    const gl = u.map((r) => r.map(geluErfRef));
    let z = lin('ffn.out', gl, dense('output.dense', gl, d));
    if (probe?.outputs) z = z.map((zi, i) => zi.map((val, c) => 0.9 * (val + 0.1 * Math.tanh(a1[i]![c]!)) + 0.05));
    h = z.map((zi, i) => layerNorm(addv(zi, a1[i]!), g(`${P}output.LayerNorm.weight`), g(`${P}output.LayerNorm.bias`), eps));
  }
  states.push(h);
  let logits: Vec | undefined;
  if (head) {
    const x = h[0]!.map((v) => v);
    const dz = addv(matVecOutIn(x, head.denseW, d), head.denseB).map(Math.tanh);
    logits = addv(matVecOutIn(dz, head.outW, head.numLabels), head.outB);
  }
  return { hidden: h, states, logits };
}

/** Max |a − b| over nested arrays / typed arrays. */
export function maxAbsDiff(a: ArrayLike<number> | number[][] | number[][][], b: ArrayLike<number>): number {
  const flat = (a as unknown[]).flat(3) as number[];
  let m = 0;
  for (let i = 0; i < flat.length; i++) m = Math.max(m, Math.abs(flat[i]! - b[i]!));
  if (flat.length !== b.length) return Infinity;
  return m;
}
