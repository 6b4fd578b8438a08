import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { FusedKernelNames, runFusedKernel, runFusedKernelOutputs } from '@peft/core';
import { blasAvailability, broadcastGeometry, maskStrides, registerBlasKernels, unregisterBlasKernels } from '@peft/blas';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { describeWithAddon } from './addon-gate.js';
import { both, maxDiff, rand } from './compare-kernels.js';

// The kernels that make tfjs's `cpu` backend usable for training (and help wasm): broadcast arithmetic, maps, row ops,
// strided copies, and the fused loss and attention kernels, each against tfjs's own kernels or a float64 formula.

describe('broadcast geometry', () => {
  it('merges what both operands read as one run, and repeats with stride 0', () => {
    expect(broadcastGeometry([8, 128, 768], [8, 128, 768])).toEqual({ outShape: [8, 128, 768], shape: [786432], aStrides: [1], bStrides: [1] });
    // a bias over the last axis: rows of a, the same b each row
    expect(broadcastGeometry([1024, 768], [768])).toEqual({ outShape: [1024, 768], shape: [1024, 768], aStrides: [768, 1], bStrides: [0, 1] });
    // a column [.., 1] against a matrix: b repeated along the row
    expect(broadcastGeometry([96, 128, 1], [96, 128, 128])).toEqual({ outShape: [96, 128, 128], shape: [12288, 128], aStrides: [1, 0], bStrides: [128, 1] });
    // a per-head bias [H, 1, p] over [B, H, n, p]: no merge across the repeated n axis
    expect(broadcastGeometry([8, 12, 128, 64], [12, 1, 64])).toEqual({
      outShape: [8, 12, 128, 64], shape: [8, 12, 128, 64], aStrides: [98304, 8192, 64, 1], bStrides: [0, 64, 0, 1],
    });
    expect(broadcastGeometry([], [])).toEqual({ outShape: [], shape: [1], aStrides: [1], bStrides: [1] });
    expect(() => broadcastGeometry([3, 4], [5])).toThrow(/broadcast/i);
  });

  it('attention masks read as [B, H, n, m]', () => {
    expect(maskStrides([2, 1, 1, 7], [2, 3, 5, 7])).toEqual([7, 0, 0, 1]);
    expect(maskStrides([5, 7], [2, 3, 5, 7])).toEqual([0, 0, 7, 1]);
    expect(maskStrides([2, 1, 1, 6], [2, 3, 5, 7])).toBeNull();
  });
});

// The exp-based kernels' bound on the vector path in use (these tests run on every path the CPU has: .ci/run runs
// them again under PEFT_BLAS_ISA=avx2 and =baseline): the baseline path has no FMA, so each step of exp's polynomial
// rounds twice, measured up to 2.4× the FMA paths' largest error (softmax 2.4e-6, the loss gradient 2.7e-7).
const expTolerance = (fmaBound: number) => (blasAvailability().isa === 'baseline' ? 4 * fmaBound : fmaBound);

describeWithAddon('@peft/blas hot-op kernels beside tfjs', () => {
  afterEach(() => unregisterBlasKernels());
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`few-row products (decoding's x·W and x·Wᵀ, 1 to 8 rows) equal tfjs's on ${backend}, head-sized ones threaded`, async () => {
      await tf.setBackend(backend);
      for (const [m, k, n] of [[1, 64, 96], [3, 300, 17], [8, 33, 2050], [1, 256, 16400]] as const) {
        const x = rand([m, k], m + k);
        for (const tb of [false, true]) {
          const w = tf.randomNormal(tb ? [n, k] : [k, n], 0, 1, 'float32', n);
          const { want, got } = both(backend, () => tf.matMul(x, w, false, tb));
          expect(maxDiff(got, want), `m ${m} k ${k} n ${n} tb ${tb}`).toBeLessThan(1e-3);
          tf.dispose([w, want, got]);
        }
        x.dispose();
      }
    });

    it(`Add, Sub, Multiply, RealDiv equal tfjs's under every broadcast the models use, on ${backend}`, async () => {
      await tf.setBackend(backend);
      const pairs: [number[], number[]][] = [
        [[300, 257], [300, 257]], // same shape, threaded
        [[300, 257], [257]], // bias
        [[4, 6, 50, 1], [4, 6, 50, 50]], // column
        [[4, 6, 50, 50], [50, 50]], // causal keep
        [[4, 6, 50, 16], [6, 1, 16]], // per-head bias
        [[4, 1, 1, 50], [4, 6, 50, 50]], // padding mask
        [[3, 1], [1, 5]], // outer
        [[], [7, 9]], // scalar
        [[70000], []],
      ];
      for (const [sa, sb] of pairs) {
        const a = rand(sa, sa.length + 1);
        const b = tf.add(tf.abs(rand(sb, sb.length + 7)), 0.5); // away from 0 for the division
        for (const op of [tf.add, tf.sub, tf.mul, tf.div]) {
          const { want, got } = both(backend, () => op(a, b) as tf.Tensor);
          expect(maxDiff(got, want), `${op.name} [${sa}] [${sb}]`).toBeLessThanOrEqual(1e-6);
          const swapped = both(backend, () => op(b, a) as tf.Tensor);
          expect(maxDiff(swapped.got, swapped.want), `${op.name} [${sb}] [${sa}]`).toBeLessThanOrEqual(op === tf.div ? 1e-3 : 1e-6);
          tf.dispose([want, got, swapped.want, swapped.got]);
        }
        tf.dispose([a, b]);
      }
      const ints = rand([3, 4], 3, 'int32');
      const { want, got } = both(backend, () => tf.add(ints, ints));
      expect(got.dtype).toBe('int32');
      expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
      tf.dispose([ints, want, got]);
    });

    it(`Neg, Square, Sqrt, Rsqrt, Log, Sigmoid, Floor, Abs, Reciprocal equal tfjs's, special values included, on ${backend}`, async () => {
      await tf.setBackend(backend);
      const specials = [0, -0, 1, -1, 0.5, 1e-30, 1e-40, -1e-40, 3e38, -20, 20, 88, -88, -104, 104, Infinity, -Infinity, NaN];
      const big = tf.mul(rand([70001], 11), 4); // threaded
      const x = tf.concat([tf.tensor1d(specials), big]);
      const ops: [string, (t: tf.Tensor) => tf.Tensor][] = [
        ['neg', tf.neg], ['square', tf.square], ['sqrt', tf.sqrt], ['rsqrt', tf.rsqrt], ['log', tf.log],
        ['sigmoid', tf.sigmoid], ['floor', tf.floor], ['abs', tf.abs], ['reciprocal', tf.reciprocal],
      ];
      const xs = x.dataSync();
      for (const [name, op] of ops) {
        const { want, got } = both(backend, () => op(x));
        const a = got.dataSync();
        const b = want.dataSync();
        for (let j = 0; j < a.length; j++) {
          // (tfjs-wasm flushes results in the subnormal range to 0; ours keep them)
          const ok = Number.isFinite(b[j]!) ? Math.abs(a[j]! - b[j]!) <= 5e-7 * Math.abs(b[j]!) + 1e-37 : Object.is(a[j], b[j]);
          if (!ok) expect(a[j], `${name}(${xs[j]})`).toBe(b[j]);
        }
        tf.dispose([want, got]);
      }
      tf.dispose([x, big]);
    });

    it(`PeftGeluErf and its gradient equal the exact GELU in float64 on ${backend}`, async () => {
      await tf.setBackend(backend);
      registerBlasKernels({ backends: [backend] });
      // erf in float64: its Taylor series (|x| ≤ 5, cancellation leaves ~1e-9) and ±1 beyond
      const erf = (x: number) => {
        if (Math.abs(x) > 5) return Math.sign(x);
        let term = x, sum = x;
        for (let n = 1; n < 200; n++) {
          term *= (-x * x) / n;
          sum += term / (2 * n + 1);
        }
        return (2 / Math.sqrt(Math.PI)) * sum;
      };
      const n = 70001;
      const xs = Float32Array.from({ length: n }, (_, i) => (i / n) * 16 - 8);
      const dys = Float32Array.from({ length: n }, (_, i) => 1 + (i % 7) / 10);
      const y = runFusedKernel(FusedKernelNames.geluErf, { x: tf.tensor1d(xs) }).dataSync();
      const dx = runFusedKernel(FusedKernelNames.geluErfGrad, { x: tf.tensor1d(xs), dy: tf.tensor1d(dys) }).dataSync();
      let errY = 0, errD = 0;
      for (let i = 0; i < n; i++) {
        const x = xs[i]!;
        const want = 0.5 * x * (1 + erf(x / Math.SQRT2));
        const wantD = dys[i]! * (0.5 * (1 + erf(x / Math.SQRT2)) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI));
        errY = Math.max(errY, Math.abs(y[i]! - want) / Math.max(1, Math.abs(want)));
        errD = Math.max(errD, Math.abs(dx[i]! - wantD) / Math.max(1, Math.abs(wantD)));
      }
      expect(errY).toBeLessThan(1e-6);
      expect(errD).toBeLessThan(1e-6);
    });

    it(`Softmax and Max over the last axes equal tfjs's on ${backend}`, async () => {
      await tf.setBackend(backend);
      const x = tf.mul(rand([40, 3, 700], 12), 5);
      for (const [name, f] of [
        ['softmax', () => tf.softmax(x)],
        ['max -1', () => tf.max(x, -1)],
        ['max [1, 2] keepDims', () => tf.max(x, [1, 2], true)],
        ['max 0 (tfjs)', () => tf.max(x, 0)],
      ] as const) {
        const { want, got } = both(backend, f);
        expect(maxDiff(got, want), name).toBeLessThanOrEqual(expTolerance(1e-6));
        tf.dispose([want, got]);
      }
      x.dispose();
      // a NaN anywhere in a row is that row's max, as with tfjs's kernels (divergence must not be hidden)
      const n = tf.tensor2d([[1, NaN, 2, 0], [NaN, 1, 2, 3], [4, 1, 2, NaN], [1, 2, 3, 4]]);
      const { want, got } = both(backend, () => tf.max(n, -1));
      expect(Array.from(await want.data())).toEqual([NaN, NaN, NaN, 4]);
      expect(Array.from(await got.data())).toEqual([NaN, NaN, NaN, 4]);
      tf.dispose([n, want, got]);
    });
  }

  it('Slice, GatherV2, Concat and Transpose on wasm copy exactly what tfjs-wasm copies: strided and contiguous runs, lookups, float32 and int32, nothing leaked', async () => {
    await tf.setBackend('wasm');
    for (const dtype of ['float32', 'int32'] as const) {
      const x = rand([3, 4, 6, 5], 17, dtype);
      const flat = rand([2 * 4099], 18, dtype);
      const table = rand([50, 33], 16, dtype);
      const ids = [tf.tensor2d([[49, 0, 7], [7, 7, 1]], [2, 3], 'int32'), tf.tensor1d([2, 0, 2, 1], 'int32'), tf.tensor2d([[5, 1], [0, 0]], [2, 2], 'int32'), tf.tensor1d([4, 0], 'int32')] as const;
      const cases: [string, () => tf.Tensor][] = [
        // tfjs-wasm's GatherV2 walks one element at a time; @peft/blas copies rows (an embedding lookup)
        ['lookup', () => tf.gather(table, ids[0], 0)],
        ['gather 0', () => tf.gather(x, ids[1], 0)],
        ['gather 2, 2-D indices', () => tf.gather(x, ids[2], 2)],
        ['gather last', () => tf.gather(x, ids[3], 3)],
        ['slice', () => tf.slice(x, [1, 0, 2, 1], [2, 3, 3, 4])],
        ['slice contiguous', () => tf.slice(x, [1, 0, 0, 0], [1, -1, -1, -1])],
        ['slice inner rows', () => tf.slice(x, [0, 1, 0, 0], [-1, 2, -1, -1])],
        ['1-D second half', () => tf.slice(flat, [4099], [4099])],
        ['empty', () => tf.slice(x, [0, 0, 0, 0], [0, 4, 6, 5])],
        ['concat 1', () => tf.tidy(() => tf.concat([x, tf.slice(x, [0, 1, 0, 0], [-1, 2, -1, -1])], 1))],
        ['concat last, three', () => tf.tidy(() => tf.concat([x, tf.slice(x, [0, 0, 0, 1], [-1, -1, -1, 3]), x], 3))],
        ['concat 0, 1-D', () => tf.tidy(() => tf.concat([flat, tf.slice(flat, [5], [7])], 0))],
        // attention's head split [B, T, H, p] → [B, H, T, p] and merge, and a full reversal
        ['transpose heads', () => tf.transpose(x, [0, 2, 1, 3])],
        ['transpose all', () => tf.transpose(x, [3, 1, 0, 2])],
        ['transpose 2-D', () => tf.transpose(table)],
      ];
      const before = tf.memory().numTensors;
      for (const [name, f] of cases) {
        const { want, got } = both('wasm', f);
        expect(got.shape, name).toEqual(want.shape);
        expect(got.dtype, name).toBe(dtype);
        expect(Array.from(got.dataSync()), name).toEqual(Array.from(want.dataSync()));
        tf.dispose([want, got]);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, flat, table, ...ids]);
    }
    const status = registerBlasKernels({ backends: ['wasm'] });
    expect(status.kernels).toEqual(expect.arrayContaining(['Slice', 'GatherV2', 'Concat', 'Transpose'])); // ours on wasm, not tfjs-wasm's
    unregisterBlasKernels();
  });

  it('Transpose, Slice, Concat, PadV2, GatherV2, SplitV, Tile copy exactly what tfjs-cpu copies, float32 and int32', async () => {
    await tf.setBackend('cpu');
    for (const dtype of ['float32', 'int32'] as const) {
      const x = rand([3, 4, 6, 5], 13, dtype);
      const cases: [string, () => tf.Tensor | tf.Tensor[]][] = [
        ['transpose', () => tf.transpose(x, [0, 2, 1, 3])],
        ['transpose all', () => tf.transpose(x, [3, 1, 0, 2])],
        ['slice', () => tf.slice(x, [1, 0, 2, 1], [2, 3, 3, 4])],
        ['slice contiguous', () => tf.slice(x, [1, 0, 0, 0], [1, -1, -1, -1])],
        ['concat 1', () => tf.concat([x, tf.slice(x, [0, 1, 0, 0], [-1, 2, -1, -1])], 1)],
        ['concat 3', () => tf.concat([x, x, x], 3)],
        ['pad', () => tf.pad(x, [[0, 1], [2, 0], [0, 0], [1, 1]], 7)],
        ['gather 0', () => tf.gather(x, tf.tensor1d([2, 0, 2], 'int32'), 0)],
        ['gather 2, 2-D indices', () => tf.gather(x, tf.tensor2d([[5, 1], [0, 0]], [2, 2], 'int32'), 2)],
        ['split', () => tf.split(x, [1, 2, 3], 2)],
        ['tile', () => tf.tile(x, [1, 2, 1, 3])],
      ];
      for (const [name, f] of cases) {
        const { want, got } = both('cpu', f);
        const w = [want].flat();
        const g = [got].flat();
        for (const [i, t] of g.entries()) {
          expect(t.shape, name).toEqual(w[i]!.shape);
          expect(t.dtype, name).toBe(dtype);
          expect(Array.from(t.dataSync()), name).toEqual(Array.from(w[i]!.dataSync()));
        }
        tf.dispose([...w, ...g]);
      }
      registerBlasKernels({ backends: ['cpu'] });
      expect(() => tf.gather(x, tf.tensor1d([3], 'int32'), 0)).toThrow(/index/); // tfjs's own error
      unregisterBlasKernels();
      x.dispose();
    }
  });

  for (const backend of ['cpu', 'wasm'] as const) {
    it(`PeftSoftmaxCrossEntropy and its gradient equal the float64 formula on ${backend}`, async () => {
      await tf.setBackend(backend);
      registerBlasKernels({ backends: [backend] });
      const [rows, cols, eps] = [5, 3001, 0.1];
      const z = tf.mul(rand([rows, cols], 14), 3);
      const ys = [0, 3000, 17, 17, 1500];
      const ws = [0.25, 0.25, 0, 0.25, 0.25];
      const labels = tf.tensor1d(ys, 'int32');
      const stats = runFusedKernel(FusedKernelNames.softmaxCrossEntropy, { logits: z, labels }, { labelSmoothing: eps });
      expect(stats.shape).toEqual([rows, 2]);
      const lse = tf.tidy(() => tf.reshape(tf.slice(stats, [0, 0], [rows, 1]), [rows]));
      const grad = runFusedKernel(FusedKernelNames.softmaxCrossEntropyGrad, { logits: z, lse, labels, weights: tf.tensor1d(ws) }, { labelSmoothing: eps });
      const zv = z.dataSync();
      const sv = stats.dataSync();
      const gv = grad.dataSync();
      for (let r = 0; r < rows; r++) {
        const row = Array.from(zv.slice(r * cols, (r + 1) * cols));
        const m = Math.max(...row);
        const want = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
        expect(Math.abs(sv[2 * r]! - want), `lse row ${r}`).toBeLessThan(1e-5);
        const loss = want - (1 - eps) * row[ys[r]!]! - (eps * row.reduce((a, v) => a + v, 0)) / cols;
        expect(Math.abs(sv[2 * r + 1]! - loss), `loss row ${r}`).toBeLessThan(1e-5);
        for (let c = 0; c < cols; c++) {
          const g = ws[r]! * (Math.exp(row[c]! - want) - eps / cols - (c === ys[r] ? 1 - eps : 0));
          expect(Math.abs(gv[r * cols + c]! - g), `grad ${r}, ${c}`).toBeLessThan(expTolerance(1e-7));
        }
      }
      expect(() => runFusedKernel(FusedKernelNames.softmaxCrossEntropy, { logits: z, labels: tf.tensor1d([0, 0, 0, 0, cols], 'int32') }, { labelSmoothing: eps })).toThrow(/label/);
    });

    it(`PeftAdamW equals the update composed from tfjs's own ops bit for bit on ${backend}: scale, decay, an open and a closed gate, NaN kept`, async () => {
      await tf.setBackend(backend);
      const shape = [37, 29]; // 1,073 floats: not a multiple of any vector width
      const param = tf.mul(rand(shape, 31), 0.5);
      const m = tf.mul(rand(shape, 32), 1e-2);
      const v = tf.abs(tf.mul(rand(shape, 33), 1e-3));
      const grad = tf.tidy(() => {
        const values = rand(shape, 34).dataSync().slice();
        values[0] = NaN; // reaches its weight
        return tf.tensor(values, shape);
      });
      const attrs = { beta1: 0.9, beta2: 0.999, eps: 1e-8, stepSize: 0.0123456789, decay: 1.25e-3 * 0.01 };
      // Hugging Face AdamW's update as @peft/recipes' AdamW composes it where there is no fused kernel
      const composed = (scale: tf.Scalar | undefined, gate: tf.Scalar | undefined, decay: number) =>
        tf.tidy(() => {
          const g = scale ? tf.mul(grad, scale) : grad;
          const m2 = tf.add(tf.mul(m, attrs.beta1), tf.mul(g, 1 - attrs.beta1));
          const v2 = tf.add(tf.mul(v, attrs.beta2), tf.mul(tf.mul(g, g), 1 - attrs.beta2));
          let next = tf.sub(param, tf.mul(tf.div(m2, tf.add(tf.sqrt(v2), attrs.eps)), attrs.stepSize));
          if (decay > 0) next = tf.sub(next, tf.mul(next, decay));
          const open = gate ? tf.notEqual(gate, 0) : null;
          return [open ? tf.where(open, m2, m) : m2, open ? tf.where(open, v2, v) : v2, open ? tf.where(open, next, param) : next];
        });
      for (const [scale, gate, decay] of [
        [undefined, undefined, attrs.decay],
        [tf.scalar(0.37), undefined, 0],
        [tf.scalar(0.37), tf.scalar(1), attrs.decay],
        [undefined, tf.scalar(0), attrs.decay],
      ] as const) {
        const want = composed(scale, gate, decay);
        registerBlasKernels({ backends: [backend] });
        const got = runFusedKernelOutputs(FusedKernelNames.adamw, { param, m, v, grad, ...(scale ? { scale } : {}), ...(gate ? { gate } : {}) }, { ...attrs, decay });
        unregisterBlasKernels();
        ['m', 'v', 'param'].forEach((name, i) => {
          const [w, g] = [want[i]!.dataSync(), got[i]!.dataSync()];
          expect(g.length, name).toBe(w.length);
          for (let j = 0; j < w.length; j++) if (!Object.is(g[j], w[j])) expect(`${name}[${j}] ${g[j]}`, `scale ${!!scale}, gate ${gate?.dataSync()[0]}, decay ${decay}`).toBe(`${name}[${j}] ${w[j]}`);
        });
        if (!gate?.dataSync()[0] && gate) expect(Array.from(got[2]!.dataSync())).toEqual(Array.from(param.dataSync()));
        else expect(Number.isNaN(got[2]!.dataSync()[0]!)).toBe(true); // the NaN gradient reaches its weight
        tf.dispose([...want, ...got, ...(scale ? [scale] : []), ...(gate ? [gate] : [])]);
      }
      tf.dispose([param, m, v, grad]);
    });

    it(`PeftSoftmaxCrossEntropy takes each row's true maximum (logits past exp's range stay finite) and keeps NaN and ∞ non-finite, on ${backend}`, async () => {
      await tf.setBackend(backend);
      registerBlasKernels({ backends: [backend] });
      const cols = 1001;
      // row 0: around 300 and one 400 (exp overflows unless that maximum, at a position no vector lane starts on, is found);
      // rows 1 and 2: one NaN, one +∞ among ordinary logits
      const row0 = Array.from({ length: cols }, (_, c) => 300 + Math.sin(c) + (c === 613 ? 100 : 0));
      const rows = [row0, Array.from({ length: cols }, (_, c) => (c === 400 ? NaN : Math.cos(c))), Array.from({ length: cols }, (_, c) => (c === 7 ? Infinity : Math.cos(c)))];
      const stats = tf.tidy(() => runFusedKernel(FusedKernelNames.softmaxCrossEntropy, { logits: tf.tensor2d(rows), labels: tf.tensor1d([613, 0, 0], 'int32') }, { labelSmoothing: 0.1 }));
      const sv = stats.dataSync();
      const m = Math.max(...row0);
      const want = m + Math.log(row0.reduce((a, v) => a + Math.exp(v - m), 0));
      expect(Math.abs(sv[0]! - want) / want).toBeLessThan(1e-6);
      expect(Number.isFinite(sv[1]!)).toBe(true);
      for (const r of [1, 2]) expect(Number.isFinite(sv[2 * r]!) || Number.isFinite(sv[2 * r + 1]!), `row ${r}`).toBe(false);
      stats.dispose();
    });

    it(`PeftLayerNorm and its gradient equal the float64 formula on ${backend}, centred (LayerNorm) and not (RMSNorm), d not a multiple of any vector width`, async () => {
      await tf.setBackend(backend);
      registerBlasKernels({ backends: [backend] });
      const [rows, d, eps] = [6, 771, 1e-5];
      // rows offset and scaled (mean ~3, spread ~2) so that centring matters
      const x = tf.tidy(() => tf.reshape(tf.add(tf.mul(rand([rows, d], 21), 2), 3), [2, 3, d]));
      const [gamma, beta, dy] = [rand([d], 22), rand([d], 23), rand([2, 3, d], 24)];
      const [xv, gv, bv, dyv] = [x, gamma, beta, dy].map((t) => Array.from(t.dataSync()));
      for (const centre of [true, false]) {
        const [y, normed, rstd] = runFusedKernelOutputs(FusedKernelNames.layerNorm, { x, gamma, ...(centre ? { beta } : {}) }, { eps, centre });
        expect([y!.shape, normed!.shape, rstd!.shape]).toEqual([[2, 3, d], [2, 3, d], [2, 3, 1]]);
        const dx = runFusedKernel(FusedKernelNames.layerNormGrad, { dy, normed: normed!, rstd: rstd!, gamma }, { centre });
        const [yv, nv, rv, dxv] = [y!, normed!, rstd!, dx].map((t) => t.dataSync());
        for (let r = 0; r < rows; r++) {
          const row = xv.slice(r * d, (r + 1) * d);
          const mean = centre ? row.reduce((a, v) => a + v, 0) / d : 0;
          const rs = 1 / Math.sqrt(row.reduce((a, v) => a + (v - mean) ** 2, 0) / d + eps);
          expect(Math.abs(rv[r]! - rs) / rs, `rstd row ${r} (centre ${centre})`).toBeLessThan(1e-6);
          const h = row.map((v) => (v - mean) * rs);
          const g = dyv.slice(r * d, (r + 1) * d).map((v, c) => v * gv[c]!);
          const mg = centre ? g.reduce((a, v) => a + v, 0) / d : 0;
          const mgh = g.reduce((a, v, c) => a + v * h[c]!, 0) / d;
          for (let c = 0; c < d; c++) {
            expect(Math.abs(nv[r * d + c]! - h[c]!), `normed ${r}, ${c} (centre ${centre})`).toBeLessThan(2e-6);
            expect(Math.abs(yv[r * d + c]! - (h[c]! * gv[c]! + (centre ? bv[c]! : 0))), `y ${r}, ${c} (centre ${centre})`).toBeLessThan(1e-5);
            expect(Math.abs(dxv[r * d + c]! - (g[c]! - mg - h[c]! * mgh) * rs), `dx ${r}, ${c} (centre ${centre})`).toBeLessThan(1e-5);
          }
        }
        tf.dispose([y!, normed!, rstd!, dx]);
      }
      expect(() => runFusedKernelOutputs(FusedKernelNames.layerNorm, { x, gamma: rand([d - 1], 25), beta }, { eps, centre: true })).toThrow(/gamma/);
      tf.dispose([x, gamma, beta, dy]);
    });

    it(`PeftMaskedSoftmax and its gradient equal the composed formula on ${backend} (causal, padding, λ's unpadded rows)`, async () => {
      await tf.setBackend(backend);
      const [b, h, n, m] = [2, 3, 5, 9]; // n < m: queries are the last n positions (a cache)
      const s = rand([b, h, n, m], 15);
      const mask = tf.tensor4d([0, 0, -1e4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1e4, -1e4], [b, 1, 1, m]);
      const dP = rand([b, h, n, m], 16);
      const dLse = rand([b, h, n, 1], 17);
      const scale = 0.25;
      for (const causal of [false, true]) {
        // the composed reference, by hand
        const keep = tf.tensor2d(Array.from({ length: n * m }, (_, i) => (!causal || i % m <= m - n + Math.floor(i / m) ? 1 : 0)), [n, m]);
        const sPrime = tf.add(tf.mul(tf.mul(s, scale), keep), tf.mul(tf.sub(1, keep), -1e4));
        const sFull = tf.add(sPrime, mask);
        const p = tf.softmax(sFull);
        const pu = tf.softmax(sPrime);
        const lse = tf.logSumExp(sFull, -1, true);
        const lseU = tf.logSumExp(sPrime, -1, true);
        registerBlasKernels({ backends: [backend] });
        const attrs = { scale, causal, maskedValue: -1e4 };
        const [p1, l1] = runFusedKernelOutputs(FusedKernelNames.maskedSoftmax, { scores: s, mask }, { ...attrs, lse: 'masked' });
        const [p2, l2, u2] = runFusedKernelOutputs(FusedKernelNames.maskedSoftmax, { scores: s, mask }, { ...attrs, lse: 'unpadded' });
        const only = runFusedKernelOutputs(FusedKernelNames.maskedSoftmax, { scores: s }, { ...attrs, lse: 'none' });
        const g1 = runFusedKernel(FusedKernelNames.maskedSoftmaxGrad, { probs: p, dProbs: dP, dLse }, { scale, causal });
        const g2 = runFusedKernel(FusedKernelNames.maskedSoftmaxGrad, { probs: p, dProbs: dP, dLse, lseProbs: pu }, { scale, causal });
        unregisterBlasKernels();
        expect(maxDiff(p1!, p), 'P').toBeLessThan(1e-6);
        expect(maxDiff(l1!, lse), 'lse').toBeLessThan(1e-5);
        expect(maxDiff(p2!, p), 'P (unpadded mode)').toBeLessThan(1e-6);
        expect(maxDiff(l2!, lseU), 'lse unpadded').toBeLessThan(1e-5);
        expect(maxDiff(u2!, pu), 'P unpadded').toBeLessThan(1e-6);
        expect(only).toHaveLength(1);
        expect(maxDiff(only[0]!, tf.softmax(sPrime)), 'P without a mask').toBeLessThan(1e-6);
        const dot = tf.sum(tf.mul(dP, p), -1, true);
        for (const [g, pl] of [[g1!, p], [g2!, pu]] as const) {
          const want = tf.mul(tf.mul(tf.add(tf.mul(p, tf.sub(dP, dot)), tf.mul(dLse, pl)), scale), keep);
          expect(maxDiff(g, want), `grad causal ${causal}`).toBeLessThan(1e-6);
        }
      }
    });
  }
});

describeWithAddon('PeftDropoutMask', () => {
  afterEach(() => unregisterBlasKernels());
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`draws bit for bit the mask tfjs's seeded randomUniform + floor + scale gives, on ${backend}`, async () => {
      await tf.setBackend(backend);
      for (const [seed, rate, shape] of [[1, 0.1, [8, 12, 16, 16]], [7, 0.1, [4, 128, 301]] /* over 64 Ki: split between threads, each jumping Alea ahead */, [2147483647, 0.3, [1000]], [987654321, 0.5, [3, 7]], [-5, 0.1, [64]], [0.25, 0.2, [10, 10]]] as const) {
        const keep = 1 - rate;
        const want = tf.tidy(() => tf.mul(tf.floor(tf.add(tf.randomUniform([...shape], 0, 1, 'float32', seed), keep)), 1 / keep));
        registerBlasKernels({ backends: [backend] });
        const got = runFusedKernel(FusedKernelNames.dropoutMask, {}, { shape: [...shape], seed: String(seed), rate });
        unregisterBlasKernels();
        expect(got.shape).toEqual(want.shape);
        expect(Array.from(got.dataSync()), `seed ${seed}`).toEqual(Array.from(want.dataSync()));
        tf.dispose([want, got]);
      }
    });
  }
});
