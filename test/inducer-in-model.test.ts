import * as tf from '@tensorflow/tfjs-core';
import { Rng, attach, sinusoidal } from '@peft/core';
import { inducer } from '@peft/inducer';
import { lora } from '@peft/lora';
import { mix } from '@peft/mam';
import { loadGpt2 } from '@peft/models-gpt2-roberta';
import { describe, expect, it } from 'vitest';
import { geluTanhRef, layerNorm, matVecInOut, readReferenceTensors, type Vec } from '../packages/models-gpt2-roberta/test/reference.js';

// The real @peft/inducer (and LoRA-Q) attached to the tiny GPT-2 checkpoint: every block's output equals spec §1.1's
// closed form evaluated in float64 from the checkpoint's bytes and the method's parameter values — the construction
// of the golden vectors (§10.1 A: inducer r_k, r_v with extension, LoRA-Q KA flavour), applied inside a real model:
//   o_i = c_proj(concat_h softmax(S_h,i)·V_h) + Σ_h λ_h,i · tanh(Q_h,i W1_h + b1_h) W2_h + b2
//   λ_h,i = exp(a) / (exp(a) + Σ_j≤i exp(S_h,ij)),  a = ⟨Q_h,i, Q_h,i + tanh(Q_h,i A_h + b1k_h) B_h + b2k_h⟩ / √p
const TINY_GPT2 = new URL('../test-fixtures/tiny-gpt2', import.meta.url).pathname;
const RK = 2, RV = 3, RL = 2, ALPHA = 32;

function referenceBlocks(dir: string, ids: number[], values: Map<string, Float64Array>, withLora: boolean): Vec[][] {
  const t = readReferenceTensors(dir);
  const g = (n: string) => t.get(n)!.data;
  const cfg = { d: 32, H: 4, eps: 1e-5 };
  const { d, H } = cfg;
  const p = d / H;
  const row = (n: string, r: number) => Array.from(g(n).subarray(r * d, (r + 1) * d));
  let h: Vec[] = ids.map((id, i) => row('wte.weight', id).map((v, c) => v + row('wpe.weight', i)[c]!));
  const states: Vec[][] = [];
  for (let l = 0; l < 2; l++) {
    const P = `h.${l}.`;
    const w = (n: string) => values.get(`layers.${l}.${n}`)!;
    const x = h.map((v) => layerNorm(v, g(`${P}ln_1.weight`), g(`${P}ln_1.bias`), cfg.eps));
    const qkv = x.map((v) => matVecInOut(v, g(`${P}attn.c_attn.weight`), 3 * d).map((y, c) => y + g(`${P}attn.c_attn.bias`)[c]!));
    let q = qkv.map((r) => r.slice(0, d));
    if (withLora) {
      // KA LoRALinear: Δ = (x·(A·s)ᵀ)·Bᵀ + b·s, s = α/r (α > 1.5); A [r, d], B [d, r], b [d]
      const s = ALPHA / RL;
      const A = w('lora.A'), B = w('lora.B'), b = w('lora.b');
      q = q.map((qi, i) => {
        const xa = Array.from({ length: RL }, (_, r) => x[i]!.reduce((acc, xv, c) => acc + xv * A[r * d + c]! * s, 0));
        return qi.map((v, o) => v + xa.reduce((acc, z, r) => acc + z * B[o * RL + r]!, 0) + b[o]! * s);
      });
    }
    const k = qkv.map((r) => r.slice(d, 2 * d));
    const v = qkv.map((r) => r.slice(2 * d));
    const Ak = w('inducer.key.A'), b1k = w('inducer.key.b1'), Bk = w('inducer.key.B'), b2k = w('inducer.key.b2');
    const W1 = w('inducer.value.A'), b1 = w('inducer.value.b1'), W2 = w('inducer.value.B'), b2 = w('inducer.value.b2');
    const att: Vec[] = ids.map(() => new Array(d).fill(0));
    const ext: Vec[] = ids.map(() => Array.from(b2)); // b2 is added unweighted
    for (let hh = 0; hh < H; hh++) {
      for (let i = 0; i < ids.length; i++) {
        const qi = q[i]!.slice(hh * p, hh * p + p);
        const s = k.map((kj, j) => (j <= i ? kj.slice(hh * p, hh * p + p).reduce((acc, kv, c) => acc + kv * qi[c]!, 0) / Math.sqrt(p) : -1e4));
        const hid = Array.from({ length: RK }, (_, r) => Math.tanh(qi.reduce((acc, qv, c) => acc + qv * Ak[(hh * p + c) * RK + r]!, 0) + b1k[hh * RK + r]!));
        const pk = qi.map((qv, c) => qv + hid.reduce((acc, z, r) => acc + z * Bk[(hh * RK + r) * p + c]!, 0) + b2k[hh * p + c]!);
        const a = qi.reduce((acc, qv, c) => acc + qv * pk[c]!, 0) / Math.sqrt(p);
        const mx = Math.max(a, ...s);
        const es = s.map((x2) => Math.exp(x2 - mx));
        const z = es.reduce((x2, y2) => x2 + y2, 0);
        const lambda = Math.exp(a - mx) / (Math.exp(a - mx) + z);
        for (let c = 0; c < p; c++) att[i]![hh * p + c] = es.reduce((acc, e, j) => acc + (e / z) * v[j]![hh * p + c]!, 0);
        const hv = Array.from({ length: RV }, (_, r) => Math.tanh(qi.reduce((acc, qv, c) => acc + qv * W1[(hh * p + c) * RV + r]!, 0) + b1[hh * RV + r]!));
        for (let o = 0; o < d; o++) ext[i]![o]! += lambda * hv.reduce((acc, z2, r) => acc + z2 * W2[(hh * RV + r) * d + o]!, 0);
      }
    }
    const y = att.map((a, i) => matVecInOut(a, g(`${P}attn.c_proj.weight`), d).map((val, c) => val + g(`${P}attn.c_proj.bias`)[c]! + ext[i]![c]!));
    h = h.map((hi, i) => hi.map((val, c) => val + y[i]![c]!));
    const x2 = h.map((v2) => layerNorm(v2, g(`${P}ln_2.weight`), g(`${P}ln_2.bias`), cfg.eps));
    const u = x2.map((v2) => matVecInOut(v2, g(`${P}mlp.c_fc.weight`), 4 * d).map((val, c) => geluTanhRef(val + g(`${P}mlp.c_fc.bias`)[c]!)));
    const z = u.map((r) => matVecInOut(r, g(`${P}mlp.c_proj.weight`), d).map((val, c) => val + g(`${P}mlp.c_proj.bias`)[c]!));
    h = h.map((hi, i) => hi.map((val, c) => val + z[i]![c]!));
    states.push(h);
  }
  return states;
}

describe('@peft/inducer inside the real GPT-2 equals the closed form of spec §1.1 (the golden construction)', () => {
  for (const withLora of [false, true]) {
    it(withLora ? 'inducer + LoRA-Q (vector A construction)' : 'inducer alone (vector E construction)', async () => {
      const model = await loadGpt2(TINY_GPT2);
      const parts = [inducer({ keyRank: RK, valueRank: RV })];
      if (withLora) parts.push(lora({ sites: ['attn.q'], rank: RL, alpha: ALPHA, flavour: 'ka' }) as never);
      const tuned = attach(model, withLora ? mix(...parts) : parts[0]!, { seed: 1 });
      // golden-style values: s·sin(0.7·i + 1.1·t + 0.3) per tensor (LoRA B non-zero, so LoRA acts)
      const values = new Map<string, Float64Array>();
      tuned.instance.params.entries().forEach(([name, v], k) => {
        const vals = sinusoidal(k + 1, name.includes('lora') ? 0.05 : 0.5)(v.shape, new Rng(0));
        v.assign(tf.tensor(vals, v.shape));
        const short = name.replace(/^(inducer|lora)\d+\./, '').replace(/\.attn\.q\.lora_/, '.lora.').replace(/lora\.bias$/, 'lora.b');
        values.set(short, Float64Array.from(vals));
      });
      const ids = [5, 17, 300, 42, 9, 640];
      const want = referenceBlocks(TINY_GPT2, ids, values, withLora);
      const out = model.forward({ inputIds: tf.tensor2d([ids], undefined, 'int32'), outputHiddenStates: true });
      for (let l = 0; l < 2; l++) {
        const got = (out.hiddenStates![l + 1]!.arraySync() as number[][][])[0]!;
        const diff = Math.max(...got.flatMap((r, i) => r.map((x, c) => Math.abs(x - want[l]![i]![c]!))));
        expect(diff, `block ${l}`).toBeLessThan(1e-5);
      }
      tf.dispose(out as unknown as tf.Tensor[]);
      tuned.dispose();
      model.dispose();
    });
  }
});
