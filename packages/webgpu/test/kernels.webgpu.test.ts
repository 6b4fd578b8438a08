import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames } from '@peft/core';
import { geluTanhValue } from '@peft/models-gpt2-roberta';
import { registerWebgpuKernels, unregisterWebgpuKernels } from '@peft/webgpu';
import { describe, expect, it } from 'vitest';
import { deviceErrors, onBackend, underCi, webgpuOrSkip } from '../../../test/webgpu/backend.js';

// Each of @peft/webgpu's kernels against the cpu backend, on the adapter Dawn finds (Mesa's llvmpipe on CI).
const gpu = await webgpuOrSkip(); // under CI=true a missing adapter fails here

/** Deterministic values in about [−scale, scale]. */
const wave = (n: number, seed: number, scale = 3): Float32Array => Float32Array.from({ length: n }, (_, i) => scale * Math.sin(seed * 12.9898 + i * 78.233));

/** f's result on `backend`, checking that nothing leaked and (on webgpu) that the device reported no error. */
async function values(backend: string, f: () => tf.Tensor, { deviceErrorsExpected = false } = {}): Promise<tf.TypedArray> {
  return onBackend(backend, async () => {
    const before = tf.memory().numTensors;
    const errors = deviceErrors().length;
    const t = f();
    const v = await t.data();
    t.dispose();
    expect(tf.memory().numTensors, `${backend}: tensors leaked`).toBe(before);
    if (!deviceErrorsExpected) expect(deviceErrors().slice(errors), 'WebGPU device errors').toEqual([]);
    return v;
  });
}

describe.skipIf(!gpu.ready && !underCi)(`@peft/webgpu kernels equal the cpu backend (${gpu.adapter ?? 'no adapter'})`, () => {
  it("AddN: tfjs's own leaves its output unwritten past the storage-buffer limit; ours sums any count, bit for bit as cpu", async () => {
    const limit = await onBackend('webgpu', () => (tf.backend() as unknown as { device: { limits: Record<string, number> } }).device.limits.maxStorageBuffersPerShaderStage!);
    const count = limit + 9; // more inputs than one shader can bind
    const make = (dtype: 'float32' | 'int32') => () =>
      tf.tidy(() => tf.addN(Array.from({ length: count }, (_, k) => tf.tensor(dtype === 'int32' ? Int32Array.from(wave(15, k, 1000)) : wave(15, k), [3, 5], dtype))));
    // tfjs's kernel: a validation error, and the sum is not there
    unregisterWebgpuKernels();
    const errorsBefore = deviceErrors().length;
    const broken = await values('webgpu', make('float32'), { deviceErrorsExpected: true });
    registerWebgpuKernels();
    expect(deviceErrors().length, 'tfjs AddN over the limit raised no device error (fixed upstream? then ours may go)').toBeGreaterThan(errorsBefore);
    const want = await values('cpu', make('float32'));
    expect(Array.from(broken)).not.toEqual(Array.from(want));
    // ours
    const errors = deviceErrors().length;
    for (const n of [1, 2, limit - 1, limit, count]) {
      const sum = (backend: string) => values(backend, () => tf.tidy(() => tf.addN(Array.from({ length: n }, (_, k) => tf.tensor(wave(15, k), [3, 5])))));
      expect(Array.from(await sum('webgpu')), `${n} inputs`).toEqual(Array.from(await sum('cpu')));
    }
    expect(Array.from(await values('webgpu', make('int32')))).toEqual(Array.from(await values('cpu', make('int32'))));
    expect(deviceErrors().length).toBe(errors);
  });

  it('PeftGeluTanh and PeftGeluTanhGrad: float64 to 3e-6 and the composed cpu form to 4e-6, finite at ±80', async () => {
    // Tolerances relative to 1 + |y|: float32, and WGSL's exp (3 + 2|x| ulp) inside tanh; tfjs's composed form on
    // this backend has the same 2e-6 error (it uses the same tanh), cpu's has 1e-6.
    const n = 4099; // not a multiple of the workgroup size
    const xs = wave(n, 3, 9);
    xs.set([0, -0, 1e-7, -1e-7, 80, -80, 15, -15, 4, -4]);
    const dys = wave(n, 5, 2);
    const S = Math.sqrt(2 / Math.PI);
    const t64 = (x: number) => Math.tanh(S * (x + 0.044715 * x ** 3));
    const gelu64 = (x: number) => 0.5 * x * (1 + t64(x));
    const dgelu64 = (x: number) => 0.5 * (1 + t64(x)) + 0.5 * x * (1 - t64(x) ** 2) * S * (1 + 3 * 0.044715 * x * x);
    const fused = await values('webgpu', () => tf.tidy(() => tf.engine().runKernel(FusedKernelNames.geluTanh, { x: tf.tensor(xs) }) as tf.Tensor));
    const dFused = await values('webgpu', () => tf.tidy(() => tf.engine().runKernel(FusedKernelNames.geluTanhGrad, { x: tf.tensor(xs), dy: tf.tensor(dys) }) as tf.Tensor));
    const composed = await values('cpu', () => tf.tidy(() => geluTanhValue(tf.tensor(xs))));
    // dy·gelu'(x) by autodiff of the composed form on cpu
    const dComposed = await values('cpu', () => tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(geluTanhValue(x), tf.tensor(dys))))(tf.tensor(xs))));
    for (let i = 0; i < n; i++) {
      const x = xs[i]!;
      expect(Number.isFinite(fused[i]!) && Number.isFinite(dFused[i]!), `x = ${x}`).toBe(true);
      expect(Math.abs(fused[i]! - gelu64(x)), `gelu(${x})`).toBeLessThanOrEqual(3e-6 * (1 + Math.abs(gelu64(x))));
      expect(Math.abs(dFused[i]! - dys[i]! * dgelu64(x)), `dgelu(${x})`).toBeLessThanOrEqual(3e-6 * (1 + Math.abs(dys[i]! * dgelu64(x))));
      expect(Math.abs(fused[i]! - composed[i]!), `gelu(${x}) vs cpu`).toBeLessThanOrEqual(4e-6 * (1 + Math.abs(composed[i]!)));
      expect(Math.abs(dFused[i]! - dComposed[i]!), `dgelu(${x}) vs cpu`).toBeLessThanOrEqual(4e-6 * (1 + Math.abs(dComposed[i]!)));
    }
    expect([fused[4], fused[5], dFused[4]]).toEqual([80, -0, dys[4]]);
  });

  it('PeftSoftmaxCrossEntropy and its gradient: the composed cpu formulas (2e-6), rows of 1,003 and 50,257, ε 0 and 0.1', async () => {
    for (const [r, V] of [[5, 1003], [3, 50257]] as const) {
      const z = wave(r * V, V, 8);
      const y = Int32Array.from({ length: r }, (_, i) => (i * 7919 + 11) % V);
      y[0] = V - 1;
      const w = Float32Array.from({ length: r }, (_, i) => (i % 2 ? 0.25 : 0));
      for (const eps of [0, 0.1]) {
        const attrs = { labelSmoothing: eps };
        const stats = await values('webgpu', () => tf.tidy(() => tf.engine().runKernel(FusedKernelNames.softmaxCrossEntropy, { logits: tf.tensor2d(z, [r, V]), labels: tf.tensor1d(y, 'int32') }, attrs) as tf.Tensor));
        const want = await values('cpu', () => tf.tidy(() => {
          const logits = tf.tensor2d(z, [r, V]);
          const lse = tf.logSumExp(logits, 1);
          const picked = tf.sum(tf.mul(logits, tf.oneHot(tf.tensor1d(y, 'int32'), V)), 1);
          return tf.stack([lse, tf.sub(tf.sub(lse, tf.mul(picked, 1 - eps)), tf.mul(tf.mean(logits, 1), eps))], 1);
        }));
        for (let i = 0; i < 2 * r; i++) expect(Math.abs(stats[i]! - want[i]!), `V ${V} ε ${eps} stat ${i}`).toBeLessThanOrEqual(2e-6 * (1 + Math.abs(want[i]!)));
        const lse = Float32Array.from({ length: r }, (_, i) => want[2 * i]!);
        const grad = await values('webgpu', () => tf.tidy(() => tf.engine().runKernel(FusedKernelNames.softmaxCrossEntropyGrad, { logits: tf.tensor2d(z, [r, V]), lse: tf.tensor1d(lse), labels: tf.tensor1d(y, 'int32'), weights: tf.tensor1d(w) }, attrs) as tf.Tensor));
        const gWant = await values('cpu', () => tf.tidy(() => {
          const p = tf.exp(tf.sub(tf.tensor2d(z, [r, V]), tf.reshape(tf.tensor1d(lse), [-1, 1])));
          const target = tf.add(tf.mul(tf.cast(tf.oneHot(tf.tensor1d(y, 'int32'), V), 'float32'), 1 - eps), eps / V);
          return tf.mul(tf.sub(p, target), tf.reshape(tf.tensor1d(w), [-1, 1]));
        }));
        let worst = 0;
        for (let i = 0; i < r * V; i++) worst = Math.max(worst, Math.abs(grad[i]! - gWant[i]!));
        expect(worst, `V ${V} ε ${eps}: gradient`).toBeLessThanOrEqual(2e-7); // |entries| ≤ 0.25
        expect(gWant.some((g) => g !== 0)).toBe(true);
      }
    }
  });

  it("PeftAdamW: HF AdamW's composed update on cpu (to 2 ulp-ish), with and without scale, decay and a closed gate", async () => {
    const n = 1037;
    const [p0, m0, v0, g0] = [wave(n, 1, 0.5), wave(n, 2, 0.01), wave(n, 3, 1e-4).map(Math.abs), wave(n, 4, 0.3)];
    const attrs = { beta1: 0.9, beta2: 0.999, eps: 1e-6, stepSize: 1.25e-3 * Math.sqrt(1 - 0.999 ** 3) / (1 - 0.9 ** 3), decay: 0 };
    for (const [scale, gate, decay] of [[undefined, undefined, 0], [0.37, 1, 0.01], [1, 0, 0]] as const) {
      const a = { ...attrs, decay };
      const inputs = () => ({
        param: tf.tensor2d(p0, [n, 1]), m: tf.tensor2d(m0, [n, 1]), v: tf.tensor2d(v0, [n, 1]), grad: tf.tensor2d(g0, [n, 1]),
        ...(scale === undefined ? {} : { scale: tf.scalar(scale) }), ...(gate === undefined ? {} : { gate: tf.scalar(gate) }),
      });
      const got = await values('webgpu', () => tf.tidy(() => tf.concat(tf.engine().runKernel(FusedKernelNames.adamw, inputs(), a) as tf.Tensor[])));
      const want = await values('cpu', () => tf.tidy(() => {
        const { param, m, v, grad } = inputs();
        if (gate === 0) return tf.concat([m, v, param]);
        const g = scale === undefined ? grad : tf.mul(grad, scale);
        const m1 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
        const v1 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.mul(g, g), 1 - a.beta2));
        let p1 = tf.sub(param, tf.mul(tf.div(m1, tf.add(tf.sqrt(v1), a.eps)), a.stepSize));
        if (decay > 0) p1 = tf.sub(p1, tf.mul(p1, decay));
        return tf.concat([m1, v1, p1]);
      }));
      let worst = 0;
      for (let i = 0; i < 3 * n; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!) / (1e-30 + Math.abs(want[i]!)));
      expect(worst, `scale ${scale} gate ${gate} decay ${decay}`).toBeLessThan(gate === 0 ? 1e-30 : 5e-7);
    }
  });

  it('PeftReduceTotal: Σx² as cpu to 1e-6 relative (sizes around the workgroup), Σx·0 is 0, or NaN with one NaN or ∞', async () => {
    for (const n of [1, 255, 256, 257, 4099]) {
      const x = wave(n, n, 2);
      const got = await values('webgpu', () => tf.tidy(() => tf.engine().runKernel(FusedKernelNames.reduceTotal, { x: tf.tensor(x, [n]) }, { of: 'squares' }) as tf.Tensor));
      const want = await values('cpu', () => tf.tidy(() => tf.sum(tf.square(tf.tensor(x)))));
      expect(Math.abs(got[0]! - want[0]!)).toBeLessThan(1e-6 * want[0]!);
      const zero = await values('webgpu', () => tf.tidy(() => tf.engine().runKernel(FusedKernelNames.reduceTotal, { x: tf.tensor(x, [n, 1]) }, { of: 'zeroed' }) as tf.Tensor));
      expect(Array.from(zero)).toEqual([0]);
      for (const bad of [NaN, Infinity, -Infinity]) {
        const y = Float32Array.from(x);
        y[n - 1] = bad;
        const probe = await values('webgpu', () => tf.tidy(() => tf.engine().runKernel(FusedKernelNames.reduceTotal, { x: tf.tensor(y) }, { of: 'zeroed' }) as tf.Tensor));
        expect(probe[0], `${bad} at ${n - 1} of ${n}`).toBeNaN();
      }
    }
  });

  it("PeftDropoutMask: tfjs's seeded randomUniform + Add + Floor + Mul on cpu, bit for bit (sizes around 32, rates 0.1 and 0.5)", async () => {
    for (const [shape, rate] of [[[1], 0.1], [[31], 0.5], [[4, 33], 0.1], [[2, 4, 64, 64], 0.1]] as const) {
      for (const seed of [0, 123456789]) {
        const got = await values('webgpu', () => tf.engine().runKernel(FusedKernelNames.dropoutMask, {}, { shape: [...shape], seed: String(seed), rate }) as tf.Tensor);
        const keep = 1 - rate;
        const want = await values('cpu', () => tf.tidy(() => tf.mul(tf.floor(tf.add(tf.randomUniform([...shape], 0, 1, 'float32', seed), keep)), 1 / keep)));
        expect(Array.from(got), `[${shape}] rate ${rate} seed ${seed}`).toEqual(Array.from(want));
        if (shape.length > 1) expect(new Set(got).size, "both 0 and 1/keep drawn").toBe(2);
      }
    }
  });

  it('PeftMaskedSoftmax and its gradient: the composed cpu formulas (2e-6), causal or not, padding masks [B,1,1,m] and [n,m], every lse mode', async () => {
    const [B, H, n, m] = [2, 3, 5, 70]; // m over the workgroup's 64 threads; causal: query i sees keys j ≤ m − n + i
    const z = wave(B * H * n * m, 7, 4);
    const dp = wave(B * H * n * m, 8, 1);
    const dl = wave(B * H * n, 9, 1);
    const pad = Float32Array.from({ length: B * m }, (_, k) => (k % m > m - 9 && k >= m ? -1e4 : 0));
    const rel = Float32Array.from({ length: n * m }, (_, k) => 0.1 * Math.cos(k));
    /** The composed forms of @peft/attention-kernel's fused attention (maskScores, softmax, logSumExpLast, the grad). */
    const composed = (causal: boolean, mask: tf.Tensor | undefined, lse: string, scale: number, maskedValue: number): tf.Tensor[] => {
      let s = tf.mul(tf.tensor4d(z, [B, H, n, m]), scale);
      if (causal) {
        const keep = tf.tensor2d(Float32Array.from({ length: n * m }, (_, k) => (k % m <= m - n + Math.floor(k / m) ? 1 : 0)), [n, m]);
        s = tf.add(tf.mul(s, keep), tf.mul(tf.sub(1, keep), maskedValue));
      }
      const padded = mask ? tf.add(s, mask) : s;
      const lseOf = (x: tf.Tensor) => { const mx = tf.max(x, -1, true); return tf.add(mx, tf.log(tf.sum(tf.exp(tf.sub(x, mx)), -1, true))); };
      const probs = tf.softmax(padded);
      const outs = lse === 'none' ? [probs] : lse === 'masked' ? [probs, lseOf(padded)] : [probs, lseOf(s), tf.exp(tf.sub(s, lseOf(s)))];
      const dP = tf.tensor4d(dp, [B, H, n, m]);
      let ds = tf.mul(probs, tf.sub(dP, tf.sum(tf.mul(dP, probs), -1, true)));
      if (lse !== 'none') ds = tf.add(ds, tf.mul(tf.tensor4d(dl, [B, H, n, 1]), outs[2] ?? probs));
      ds = tf.mul(ds, scale);
      if (causal) ds = tf.mul(ds, tf.tensor2d(Float32Array.from({ length: n * m }, (_, k) => (k % m <= m - n + Math.floor(k / m) ? 1 : 0)), [n, m]));
      return [...outs, ds];
    };
    for (const [causal, maskKind, lse] of [[true, 'none', 'none'], [true, 'pad', 'masked'], [false, 'rel', 'unpadded'], [true, 'pad', 'unpadded']] as const) {
      const mk = () => (maskKind === 'pad' ? tf.tensor4d(pad, [B, 1, 1, m]) : maskKind === 'rel' ? tf.tensor2d(rel, [n, m]) : undefined);
      const attrs = { scale: 0.125, causal, maskedValue: -1e4, lse };
      const label = `causal ${causal}, mask ${maskKind}, lse ${lse}`;
      const want = await onBackend('cpu', () => tf.tidy(() => composed(causal, mk(), lse, 0.125, -1e4).map((t) => t.dataSync())));
      const got = await onBackend('webgpu', async () => {
        const errors = deviceErrors().length;
        const before = tf.memory().numTensors;
        const outs = tf.tidy(() => {
          const m4 = mk();
          const fwd = tf.engine().runKernel(FusedKernelNames.maskedSoftmax, { scores: tf.tensor4d(z, [B, H, n, m]), ...(m4 ? { mask: m4 } : {}) }, attrs) as tf.Tensor[];
          const grad = tf.engine().runKernel(FusedKernelNames.maskedSoftmaxGrad, {
            probs: fwd[0]!, dProbs: tf.tensor4d(dp, [B, H, n, m]), ...(lse === 'none' ? {} : { dLse: tf.tensor4d(dl, [B, H, n, 1]) }), ...(fwd[2] ? { lseProbs: fwd[2] } : {}),
          }, { scale: 0.125, causal }) as tf.Tensor;
          return [...fwd, grad];
        });
        const vals = await Promise.all(outs.map((t) => t.data()));
        expect(outs.map((t) => t.shape), label).toEqual([[B, H, n, m], ...(lse === 'none' ? [] : [[B, H, n, 1]]), ...(lse === 'unpadded' ? [[B, H, n, m]] : []), [B, H, n, m]]);
        tf.dispose(outs);
        expect(tf.memory().numTensors).toBe(before);
        expect(deviceErrors().slice(errors), 'WebGPU device errors').toEqual([]);
        return vals;
      });
      expect(got.length, label).toBe(want.length);
      got.forEach((g, k) => {
        let worst = 0;
        for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i]! - want[k]![i]!) / (1 + Math.abs(want[k]![i]!)));
        expect(worst, `${label}: output ${k}`).toBeLessThanOrEqual(2e-6);
      });
    }
  });
});
