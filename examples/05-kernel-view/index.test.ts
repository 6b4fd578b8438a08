import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { main } from './index.js';

// test/setup.ts sets IS_TEST, which makes tfjs check every kernel for leaked data ids; under a gradient tape that check
// misfires on the wasm backend (which the example picks, as a user's run would). Leaks are checked by counting tensors.
tf.env().set('IS_TEST', false);

const outDir = fileURLToPath(new URL('../../test-output/', import.meta.url));

it('computes attention as a kernel estimator and shows each token\'s λ', async () => {
  mkdirSync(outDir, { recursive: true });
  const svgPath = `${outDir}kernel-view.svg`;
  const before = tf.memory().numTensors;
  const r = await main({ svgPath, log: () => {} });
  expect(tf.memory().numTensors).toBe(before);
  const n = r.tokens.length;
  expect(r.tokens.join('')).toBe('the␣cat␣sat␣on␣the␣mat');
  expect(r.eq7vsEq8).toBeLessThan(1e-5); // paper eq. 7 (explicit estimator) = eq. 8 (residual form)
  for (const s of r.rowSums) expect(s).toBeCloseTo(1, 5); // D⁻¹M rows are weights
  // λ from the fast form (sigmoid of the inducer logit minus the logsumexp of the scores) is the inducer's column of
  // the explicit D⁻¹M: two formulations, one number
  for (let i = 0; i < n; i++) {
    expect(r.lambda[0]![i]!).toBeCloseTo(r.weights[i]![i]!, 5);
    for (let j = 0; j < n; j++) if (j !== i) expect(r.weights[i]![j]).toBe(0); // query i sees only its own inducer
    for (let j = i + 1; j < n; j++) expect(r.weights[i]![n + j]!).toBeLessThan(1e-30); // causal: no future keys
  }
  for (const row of r.lambda) for (const l of row) expect(l).toBeGreaterThan(0), expect(l).toBeLessThan(1);
  expect(r.table.split('\n')).toHaveLength(2 + n);
  const svg = readFileSync(svgPath, 'utf8');
  expect(svg.match(/<rect /g)).toHaveLength(n * 2 * n);
});
