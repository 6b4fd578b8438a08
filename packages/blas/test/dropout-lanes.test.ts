import * as tf from '@tensorflow/tfjs-core';
import { FusedKernelNames, runFusedKernel } from '@peft/core';
import { blasAvailability, registerBlasKernels, unregisterBlasKernels } from '@peft/blas';
import { afterAll, afterEach, expect, it } from 'vitest';
import { loadAddon } from '../src/addon.js';
import { describeWithAddon } from './addon-gate.js';

// The dropout masks' lanes (src/native/random.c, alea-lanes.c): each thread's run split into 8 sub-runs of `chunk`
// values (a multiple of 8; the last sub-run up to 63 shorter) drawn side by side, each lane's Alea generator jumped
// to its start. The masks must stay bit for bit tfjs's seeded randomUniform + floor + scale on every vector path this
// CPU has, at every edge of the split: fewer values than lanes, the one-lane limit (1 Ki), sub-runs all full (then
// no lane has a rest), the last one short by 1 or by 63 (every lane has a rest past the blocks in common), and masks
// over the line where the vector paths split between two threads (2 Mi).
const LANES_MIN = 1 << 10;
const sizes = [
  1, 7, 8, 9, 17, 1000,
  LANES_MIN - 1, LANES_MIN, LANES_MIN + 1, // 1024: chunk 128, all full; 1025: chunk 136, the last lane 73
  4095, 4097, // chunk 512, the last lane 511; chunk 520, the last lane 457
  8 * 2056 - 1, 8 * 2056, 8 * 2056 - 63,
  100_003,
  2048 * 576,
  (1 << 21) + 1, // two threads, each a lane split of its own
  2048 * 1536,
];

function raw() {
  const loaded = loadAddon();
  if (!('addon' in loaded)) throw new Error(loaded.reason);
  return loaded.addon;
}

describeWithAddon('PeftDropoutMask lanes on every vector path', () => {
  const threadsAtLoad = Number(/threads=(\d+)/.exec(blasAvailability().config ?? '')?.[1] ?? 1);
  afterEach(() => unregisterBlasKernels());
  afterAll(() => raw().setThreads(threadsAtLoad));
  const isas = blasAvailability().isas ?? [];

  it('covers the paths the CPU reports', () => {
    expect(isas.at(-1)).toBe('baseline');
    if (process.arch === 'x64') expect(isas.length).toBeGreaterThanOrEqual(2); // every x86-64 machine of this project has AVX2
  });

  it('draws tfjs\'s mask bit for bit at every lane and thread edge, on each path, one and two threads', async () => {
    await tf.setBackend('cpu');
    for (const [i, n] of sizes.entries()) {
      const seed = 1000 + i, rate = i % 2 ? 0.1 : 0.35, keep = 1 - rate;
      const want = tf.tidy(() => tf.mul(tf.floor(tf.add(tf.randomUniform([n], 0, 1, 'float32', seed), keep)), 1 / keep));
      const wantData = want.dataSync();
      for (const isa of isas) {
        for (const threads of [1, 2]) {
          registerBlasKernels({ backends: ['cpu'], isa, threads });
          const got = runFusedKernel(FusedKernelNames.dropoutMask, {}, { shape: [n], seed: String(seed), rate });
          unregisterBlasKernels();
          const gotData = got.dataSync();
          let first = -1;
          for (let j = 0; j < n && first < 0; j++) if (!Object.is(gotData[j], wantData[j])) first = j;
          expect(first, `n ${n}, ${isa}, ${threads} thread(s): first differing index`).toBe(-1);
          got.dispose();
        }
      }
      want.dispose();
    }
  });

  it('writes exactly [yOffset, yOffset + n) of the output, the same values as the loop before the lanes', () => {
    const addon = raw();
    const keep = Math.fround(0.8), inv = Math.fround(1 / 0.8);
    for (const isa of isas) {
      addon.selectKernels('own', isa);
      for (const threads of [1, 2]) {
        addon.setThreads(threads);
        for (const [n, offset] of [[5, 3], [LANES_MIN + 13, 1], [8 * 2056 - 1, 7], [(1 << 21) + 99, 5]] as const) {
          const got = new Float32Array(n + offset + 9).fill(-7), want = new Float32Array(n + offset + 9).fill(-7);
          addon.dropoutMask('offsets', keep, inv, got, offset, n);
          addon.dropoutMaskScalar('offsets', keep, inv, want, offset, n);
          expect(got.subarray(0, offset).every((v) => v === -7), `${isa}: nothing before the offset`).toBe(true);
          expect(got.subarray(offset + n).every((v) => v === -7), `${isa}: nothing past n`).toBe(true);
          expect(got.subarray(offset, offset + n).every((v) => v === 0 || v === inv), `${isa}: masks are 0 or 1/keep`).toBe(true);
          expect(got.findIndex((v, j) => !Object.is(v, want[j])), `${isa}, n ${n}, ${threads} thread(s)`).toBe(-1);
        }
      }
    }
    addon.selectKernels('own', 'auto');
  });
});
