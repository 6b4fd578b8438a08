import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { lora } from '@peft/lora';
import { inducer, type InducerOptions } from '../src/index.js';
import {
  GOLDEN_SPEC_GPT2,
  GOLDEN_SPEC_ROBERTA,
  GPT2_INDUCER_IDS,
  GPT2_LORA_IDS,
  ROBERTA_INDUCER_IDS,
  ROBERTA_LORA_IDS,
  X,
  assignSinusoidal,
  gpt2AttentionBlock,
  robertaAttentionBlock,
} from './blocks.js';
import { referenceGpt2, type RefVariant } from './reference.js';

// spec §10.1 A: default (r_k = 2, r_v = 3, extension, LoRA-Q)
const A_LAMBDA = [
  [0.500217, 0.347359, 0.264443, 0.194962],
  [0.487441, 0.330448, 0.246378, 0.183864],
];
const A_OUTPUT = [
  [-0.581701, -0.652235, -0.416013, 0.015867, 0.440284, 0.657629, 0.56568, 0.207684],
  [-0.715218, -0.778771, -0.476055, 0.050557, 0.553391, 0.795957, 0.664172, 0.220016],
  [-0.757195, -0.835508, -0.520868, 0.038744, 0.580134, 0.848678, 0.718076, 0.249751],
  [-0.709911, -0.80508, -0.521608, 0.007185, 0.532598, 0.807523, 0.702657, 0.26732],
];
// spec §10.1 E: A without LoRA
const E_LAMBDA = [
  [0.4946, 0.346715, 0.262659, 0.192351],
  [0.495608, 0.349635, 0.265431, 0.193567],
];
const E_OUTPUT = [
  [-0.552063, -0.661848, -0.460355, -0.04235, 0.395573, 0.647452, 0.594824, 0.262441],
  [-0.676591, -0.768189, -0.498496, 0.005648, 0.507136, 0.770109, 0.670888, 0.256138],
  [-0.72833, -0.820966, -0.52749, 0.014073, 0.549018, 0.82575, 0.71412, 0.266628],
  [-0.699327, -0.796927, -0.519719, 0.00192, 0.522656, 0.797579, 0.697388, 0.269205],
];
// spec §10.2: RoBERTa, no mask
const R_LAMBDA = [
  [0.997759, 0.965916, 0.464123, 0.442353],
  [0.998218, 0.945051, 0.525562, 0.65729],
];
const R_OUTPUT = [
  [0.972744, 1.33534, 1.098861, 0.368341, -0.524996, -1.173974, -1.28114, -0.795175],
  [1.223253, 1.379307, 0.942795, 0.106201, -0.754648, -1.249427, -1.150357, -0.497124],
  [1.226387, 1.377234, 0.942308, 0.111561, -0.745269, -1.24314, -1.154743, -0.514337],
  [1.081737, 1.353168, 1.039701, 0.277506, -0.59619, -1.192173, -1.242555, -0.721193],
];

function maxDiff(got: ArrayLike<number>, want: number[][]): number {
  const flat = want.flat();
  expect(got.length).toBe(flat.length);
  return Math.max(...flat.map((w, i) => Math.abs(got[i]! - w)));
}

function runGpt2(options: InducerOptions, withLora: boolean) {
  const ind = inducer({ keyRank: 2, valueRank: 3, ...options }).init(GOLDEN_SPEC_GPT2);
  assignSinusoidal(ind, GPT2_INDUCER_IDS);
  const lq = withLora ? lora({ sites: ['attn.q'], rank: 2, alpha: 32, flavour: 'ka' }).init(GOLDEN_SPEC_GPT2) : undefined;
  if (lq) assignSinusoidal(lq, GPT2_LORA_IDS);
  const x = tf.tensor3d(X, [1, 4, 8]);
  const r = gpt2AttentionBlock(x, ind, lq);
  const out = { output: r.output.dataSync(), lambda: r.lambda.dataSync() };
  tf.dispose([x, r.output, r.lambda]);
  ind.dispose();
  lq?.dispose();
  return out;
}

describe('golden vectors (acceptance, spec §10)', () => {
  it('A: GPT-2 default inducer (r_k=2, r_v=3, extension) with KA LoRA-Q reproduces λ and the output to 1e-5', () => {
    const { output, lambda } = runGpt2({}, true);
    expect(maxDiff(lambda, A_LAMBDA)).toBeLessThan(1e-5);
    expect(maxDiff(output, A_OUTPUT)).toBeLessThan(1e-5);
  });

  it('E: the same without LoRA reproduces λ and the output to 1e-5', () => {
    const { output, lambda } = runGpt2({}, false);
    expect(maxDiff(lambda, E_LAMBDA)).toBeLessThan(1e-5);
    expect(maxDiff(output, E_OUTPUT)).toBeLessThan(1e-5);
  });

  it('RoBERTa (KA NLU, loralib LoRA-Q, post-LN) reproduces λ and the output with no mask to 1e-5', () => {
    const ind = inducer({ keyRank: 2, valueRank: 3 }).init(GOLDEN_SPEC_ROBERTA);
    assignSinusoidal(ind, ROBERTA_INDUCER_IDS);
    const lq = lora({ sites: ['attn.q'], rank: 2, alpha: 32, flavour: 'loralib' }).init(GOLDEN_SPEC_ROBERTA);
    assignSinusoidal(lq, ROBERTA_LORA_IDS);
    const x = tf.tensor3d(X, [1, 4, 8]);
    const r = robertaAttentionBlock(x, ind, lq);
    expect(maxDiff(r.lambda.dataSync(), R_LAMBDA)).toBeLessThan(1e-5);
    expect(maxDiff(r.output.dataSync(), R_OUTPUT)).toBeLessThan(1e-5);
    // quirk 5: masking the last token leaves λ unchanged (faithful default for RoBERTa) but changes the output
    const masked = robertaAttentionBlock(x, ind, lq, [1, 1, 1, 0]);
    expect(maxDiff(masked.lambda.dataSync(), R_LAMBDA)).toBeLessThan(1e-5);
    expect(maxDiff(masked.output.dataSync(), R_OUTPUT)).toBeGreaterThan(1e-3);
    // with the quirk switched off, λ does see the mask
    const fixed = inducer({ keyRank: 2, valueRank: 3, lambdaIgnoresPaddingMask: false }).init(GOLDEN_SPEC_ROBERTA);
    assignSinusoidal(fixed, ROBERTA_INDUCER_IDS);
    const unquirked = robertaAttentionBlock(x, fixed, lq, [1, 1, 1, 0]);
    expect(maxDiff(unquirked.lambda.dataSync(), R_LAMBDA)).toBeGreaterThan(1e-3);
    tf.dispose([x, r.output, r.lambda, masked.output, masked.lambda, unquirked.output, unquirked.lambda]);
    [ind, lq, fixed].forEach((i) => i.dispose());
  });
});

describe('the float64 reference written from the spec', () => {
  it('reproduces golden A and E itself (so it can judge the variants)', () => {
    const base: RefVariant = { keyRank: 2, valueRank: 3, extension: true, gating: false, lora: true };
    const a = referenceGpt2(base);
    expect(maxDiff(a.lambda.flat(), A_LAMBDA)).toBeLessThan(2e-6);
    expect(maxDiff(a.output.flat(), A_OUTPUT)).toBeLessThan(2e-6);
    const e = referenceGpt2({ ...base, lora: false });
    expect(maxDiff(e.output.flat(), E_OUTPUT)).toBeLessThan(2e-6);
  });
});

describe('variants B, C, D (and r_k = 1, shared W2) agree with the independent float64 reference', () => {
  it.each([
    ['B gating (absolute mode = joint-softmax tail)', { gating: true }, { gating: true }],
    ['C adaptive (r_k = 0: logit |Q|²·√i/√p)', { keyRank: 0 }, { keyRank: 0 }],
    ['D no extension (λ-weighted per-head MLP_v with bias, before W_o)', { valueExtension: false }, { extension: false }],
    ['r_k = 1 (P_k = Q)', { keyRank: 1 }, { keyRank: 1 }],
    ['gating without extension', { gating: true, valueExtension: false }, { gating: true, extension: false }],
  ] as const)('%s', (_, options, variant) => {
    for (const withLora of [false, true]) {
      const ref = referenceGpt2({ keyRank: 2, valueRank: 3, extension: true, gating: false, lora: withLora, ...variant });
      const got = runGpt2(options, withLora);
      expect(maxDiff(got.lambda, ref.lambda)).toBeLessThan(1e-5);
      expect(maxDiff(got.output, ref.output)).toBeLessThan(1e-5);
    }
  });

  it('variants differ from the default (the comparisons above have teeth)', () => {
    const a = runGpt2({}, true).output;
    for (const o of [{ gating: true }, { keyRank: 0 }, { valueExtension: false }] as InducerOptions[]) {
      expect(maxDiff(runGpt2(o, true).output, A_OUTPUT)).toBeGreaterThan(1e-3);
    }
    expect(maxDiff(a, A_OUTPUT)).toBeLessThan(1e-5);
  });
});
