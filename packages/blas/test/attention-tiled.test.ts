import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { trainingContext } from '@peft/core';
import { hasTiledAttention, kernelAttention, type KernelAttentionInput } from '@peft/attention-kernel';
import { registerBlasKernels, unregisterBlasKernels } from '@peft/blas';
import { afterAll, expect, it, onTestFinished } from 'vitest';
import { describeWithAddon } from './addon-gate.js';
import { rand } from './compare-kernels.js';

// The tiled attention (PeftAttentionTiled and its gradient: scores in tiles of 64 keys, never [B, H, n, L]) against
// the dense path it replaces — kernelAttention with tfjs's own kernels: the composed scores, masks, softmax and
// dropout — on every support combination the kernel view merges: values, λ, the shared weight and every gradient.

interface Case {
  name: string;
  n: number;
  m: number;
  causal?: boolean;
  /** 'right': the last keys of sequence 1 padded; 'left': its first keys (query rows that see only padding). */
  pad?: 'right' | 'left';
  perQuery?: 'residual' | 'absolute';
  pqValues?: boolean;
  ignorePad?: boolean;
  shared?: 'heads' | 'batch';
  dropout?: number;
  /** Grouped-query attention: keys and values with this many heads (of H = 3), read in place by the tiled kernels. */
  kvHeads?: number;
  /** Head width (16 unless given): 64 takes the AVX-512 path's register-blocked products (four vectors a row). */
  p?: number;
}

const CASES: Case[] = [
  { name: 'plain, several tiles each way', n: 70, m: 70 },
  { name: 'causal', n: 100, m: 100, causal: true },
  { name: 'causal with a cache (m > n)', n: 40, m: 90, causal: true },
  { name: 'causal, right padding', n: 67, m: 67, causal: true, pad: 'right' },
  { name: 'causal, left padding (rows that see only padded keys)', n: 67, m: 67, causal: true, pad: 'left' },
  { name: 'inducer: residual λ, causal', n: 70, m: 70, causal: true, perQuery: 'residual' },
  { name: 'inducer with values, padding', n: 40, m: 40, pad: 'right', perQuery: 'residual', pqValues: true },
  { name: 'gated λ with values, causal cache', n: 33, m: 80, causal: true, perQuery: 'absolute', pqValues: true },
  { name: "RoBERTa's quirk: λ over unpadded keys", n: 50, m: 50, pad: 'right', perQuery: 'residual', pqValues: true, ignorePad: true },
  { name: 'prefix: shared supports [H, l, p], causal, padding', n: 70, m: 70, causal: true, pad: 'left', shared: 'heads' },
  { name: 'prefix: shared supports [B, H, l, p]', n: 40, m: 40, shared: 'batch' },
  { name: 'MAM: shared + gated λ + quirk, causal, padding', n: 70, m: 70, causal: true, pad: 'right', shared: 'heads', perQuery: 'absolute', pqValues: true, ignorePad: true },
  { name: 'dropout, causal', n: 70, m: 70, causal: true, dropout: 0.2 },
  { name: 'dropout, padding, inducer', n: 50, m: 50, causal: true, pad: 'left', perQuery: 'residual', pqValues: true, dropout: 0.3 },
  { name: 'dropout, shared supports, quirk', n: 45, m: 45, pad: 'right', shared: 'batch', perQuery: 'residual', ignorePad: true, dropout: 0.1 },
  { name: 'grouped-query keys (H_kv 1 of 3), causal, inducer, dropout', n: 70, m: 70, causal: true, perQuery: 'residual', pqValues: true, dropout: 0.2, kvHeads: 1 },
  { name: 'grouped-query keys, causal cache, shared supports, left padding', n: 40, m: 90, causal: true, pad: 'left', shared: 'heads', kvHeads: 1 },
  { name: 'p 64: causal, inducer, dropout', n: 70, m: 70, causal: true, perQuery: 'residual', pqValues: true, dropout: 0.2, p: 64 },
  { name: 'p 64: MAM shared + gated λ + quirk, causal cache, left padding', n: 33, m: 80, causal: true, pad: 'left', shared: 'heads', perQuery: 'absolute', pqValues: true, ignorePad: true, p: 64 },
  { name: 'p 64: grouped-query keys, plain, several tiles each way', n: 70, m: 70, kvHeads: 1, dropout: 0.1, p: 64 },
];

function run(c: Case, backend: 'cpu' | 'wasm') {
  const [B, H, p, l] = [2, 3, c.p ?? 16, 5];
  let seed = 10;
  const r = (shape: number[]) => rand(shape, seed++);
  const q = r([B, H, c.n, p]);
  const k = r([B, c.kvHeads ?? H, c.m, p]);
  const v = r([B, c.kvHeads ?? H, c.m, p]);
  const pk = r([B, H, c.n, p]);
  const pv = r([B, H, c.n, p]);
  const sk = r(c.shared === 'batch' ? [B, H, l, p] : [H, l, p]);
  const sv = r(c.shared === 'batch' ? [B, H, l, p] : [H, l, p]);
  const padding = c.pad === 'right' ? [0, ...new Array(7).fill(1)] : c.pad === 'left' ? [0, 1, 2, 3, 4] : [];
  const mask = c.pad
    ? tf.tensor([...new Array(c.m).fill(0), ...Array.from({ length: c.m }, (_, j) => (padding.includes(c.pad === 'right' ? c.m - 1 - j : j) && j < c.m ? -1e4 : 0))], [B, 1, 1, c.m])
    : undefined;
  const wOut = r([B, H, c.n, p]);
  const wLam = r([B, H, c.n]);
  const wSh = r([B, H, c.n]);
  const used = [q, k, v, ...(c.perQuery ? [pk] : []), ...(c.pqValues ? [pv] : []), ...(c.shared ? [sk, sv] : [])];
  const loss = (tiled: boolean) => (...given: tf.Tensor[]) => {
    const [qq, kk, vv, ...rest] = given as tf.Tensor4D[];
    const pkk = c.perQuery ? rest.shift() : undefined;
    const pvv = c.pqValues ? rest.shift() : undefined;
    const [skk, svv] = c.shared ? rest : [];
    const ctx = trainingContext(7, 3);
    const input: KernelAttentionInput = {
      q: qq!, k: kk!, v: vv!,
      ...(c.causal ? { causal: true } : {}),
      ...(mask ? { mask } : {}),
      supports: {
        ...(c.perQuery ? { perQuery: { keys: pkk!, mode: c.perQuery, ...(pvv ? { values: pvv } : {}), ...(c.ignorePad ? { lambdaIgnoresPaddingMask: true } : {}) } } : {}),
        ...(c.shared ? { shared: { keys: skk!, values: svv! } } : {}),
      },
      ...(c.dropout ? { dropout: (x: tf.Tensor) => ctx.dropout(x, c.dropout!), ...(tiled ? { dropoutDraw: () => ctx.dropoutDraw!(c.dropout!) } : {}) } : {}),
    };
    const out = kernelAttention(input);
    let total = tf.sum(tf.mul(out.output, wOut));
    if (out.lambda) total = tf.add(total, tf.sum(tf.mul(out.lambda, wLam)));
    if (out.sharedWeight) total = tf.add(total, tf.sum(tf.mul(out.sharedWeight, wSh)));
    return total as tf.Scalar;
  };
  const dense = tf.valueAndGrads(loss(false))(used);
  registerBlasKernels({ backends: [backend] });
  try {
    expect(hasTiledAttention()).toBe(true);
    const tiledOut = tf.valueAndGrads(loss(true))(used);
    return { dense, tiled: tiledOut };
  } finally {
    unregisterBlasKernels();
  }
}

describeWithAddon('tiled attention equals the dense kernel-view path', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  for (const backend of ['cpu', 'wasm'] as const) {
    for (const c of CASES) {
      if (backend === 'wasm' && !/dropout|MAM|left|grouped|p 64/.test(c.name)) continue; // wasm: the heap-view cases
      it(`${backend}: ${c.name}`, async () => {
        await tf.setBackend(backend);
        const { dense, tiled } = run(c, backend);
        onTestFinished(() => tf.dispose([dense.value, ...dense.grads, tiled.value, ...tiled.grads]));
        // the loss sums B·H·n·p products of order 1: float32 summation in another order moves it by ~1e-6 per 100 terms
        const want = dense.value.dataSync()[0]!;
        expect(Math.abs(tiled.value.dataSync()[0]! - want)).toBeLessThan(1e-8 * 2 * 3 * c.n * (c.p ?? 16) * Math.max(1, Math.abs(want)));
        expect(tiled.grads.length).toBe(dense.grads.length);
        dense.grads.forEach((g, i) => {
          const size = tf.max(tf.abs(g)).dataSync()[0]!;
          const diff = tf.max(tf.abs(tf.sub(tiled.grads[i]!, g))).dataSync()[0]!;
          expect(size).toBeGreaterThan(1e-3); // every input carries gradient
          // rows that see only padded keys score −1e4 + s, where float32 keeps 3 decimals of s: both paths round there
          expect(diff / size, `gradient ${i}`).toBeLessThan(c.pad === 'left' ? 1e-4 : 2e-5);
        });
      });
    }
  }
});

describeWithAddon('grouped-query keys go to the tiled kernels as they are', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  it('PeftAttentionTiled and its gradient take k, v [B, H_kv, m, p]: no Tile, dK and dV [B, H_kv, m, p]', async () => {
    await tf.setBackend('cpu');
    registerBlasKernels({ backends: ['cpu'] });
    try {
      const [q, k, v] = [rand([2, 4, 20, 8], 1), rand([2, 2, 20, 8], 2), rand([2, 2, 20, 8], 3)] as tf.Tensor4D[];
      let grads: tf.Tensor[] = [];
      const info = await tf.profile(() => {
        grads = tf.grads((qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) =>
          tf.sum(kernelAttention({ q: qq as tf.Tensor4D, k: kk as tf.Tensor4D, v: vv as tf.Tensor4D, causal: true }).output))([q!, k!, v!]);
      });
      onTestFinished(() => tf.dispose([q!, k!, v!, ...grads]));
      const names = info.kernels.map((kr) => kr.name);
      expect(names).toContain('PeftAttentionTiled');
      expect(names).toContain('PeftAttentionTiledGrad');
      expect(names).not.toContain('Tile');
      expect(info.kernels.find((kr) => kr.name === 'PeftAttentionTiled')!.inputShapes[1]).toEqual([2, 2, 20, 8]);
      expect(grads.map((g) => g.shape)).toEqual([[2, 4, 20, 8], [2, 2, 20, 8], [2, 2, 20, 8]]);
    } finally {
      unregisterBlasKernels();
    }
  });
});

describeWithAddon('tiled attention memory grows linearly in T', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  // the bytes tfjs holds at the peak of a forward + backward (causal, inducer λ, dropout) at a fixed B·T = 256: with
  // the tiles nothing is [B, H, T, T], so T 64 → 256 leaves it about equal; the dense path's grows with T
  const peak = async (T: number) => {
    const B = 256 / T;
    const [q, k, v, pk] = [1, 2, 3, 4].map((s) => rand([B, 4, T, 16], s) as tf.Tensor4D);
    const ctx = trainingContext(5, 1);
    const before = tf.memory().numBytes; // (peakBytes counts what was alive before too)
    const info = await tf.profile(() => {
      const { value, grads } = tf.valueAndGrads((qq: tf.Tensor, kk: tf.Tensor, vv: tf.Tensor) => {
        const out = kernelAttention({
          q: qq as tf.Tensor4D, k: kk as tf.Tensor4D, v: vv as tf.Tensor4D, causal: true,
          supports: { perQuery: { keys: pk!, mode: 'residual' } },
          dropout: (x) => ctx.dropout(x, 0.1),
          dropoutDraw: () => ctx.dropoutDraw!(0.1),
        });
        return tf.add(tf.sum(out.output), tf.sum(out.lambda!)) as tf.Scalar;
      })([q!, k!, v!]);
      tf.dispose([value, ...grads]);
    });
    tf.dispose([q!, k!, v!, pk!]);
    return info.peakBytes - before;
  };
  it('T 64 → 256 at B·T 256: tiled peak about flat, dense ×2 or more', async () => {
    await tf.setBackend('cpu');
    const dense = [await peak(64), await peak(256)];
    registerBlasKernels({ backends: ['cpu'] });
    try {
      const tiled = [await peak(64), await peak(256)];
      expect(tiled[1]! / tiled[0]!).toBeLessThan(1.05); // measured: equal (1.37 MB both; dense 4.4 → 14.2 MB)
      expect(dense[1]! / dense[0]!).toBeGreaterThan(2);
      expect(tiled[1]!).toBeLessThan(dense[1]! / 3);
    } finally {
      unregisterBlasKernels();
    }
  });
});
