import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGpt2, loadRoberta, type Gpt2Model, type RobertaModel } from '../src/index.js';
import { TINY_GPT2, TINY_ROBERTA } from './helpers.js';
import { probeInstance, type ProbeOptions } from './probe-method.js';
import { maxAbsDiff, readConfig, readReferenceTensors, referenceGpt2, referenceRoberta } from './reference.js';

const TOL = 1e-5;

describe('GPT-2 forward equals the float64 reference', () => {
  let model: Gpt2Model;
  const ref = readReferenceTensors(TINY_GPT2);
  const cfg = readConfig(TINY_GPT2);
  beforeAll(async () => {
    model = await loadGpt2(TINY_GPT2);
  });
  afterAll(() => model.dispose());

  // row 0: 7 real tokens with task types; row 1: left-padded by 3 (mask 0, positions 0), then 4 tokens
  const ids = [
    [5, 17, 300, 42, 9, 640, 77],
    [0, 0, 0, 12, 250, 3, 99],
  ];
  const types = [
    [650, 650, 651, 651, 651, 652, 652],
    [0, 0, 0, 651, 651, 652, 652],
  ];
  const mask = [
    [1, 1, 1, 1, 1, 1, 1],
    [0, 0, 0, 1, 1, 1, 1],
  ];
  const positions = [
    [0, 1, 2, 3, 4, 5, 6],
    [0, 0, 0, 0, 1, 2, 3],
  ];

  function run(probe?: ProbeOptions) {
    if (probe) model.useMethod(probeInstance(model.spec, probe));
    try {
      const inputs = {
        inputIds: tf.tensor2d(ids, undefined, 'int32'),
        tokenTypeIds: tf.tensor2d(types, undefined, 'int32'),
        attentionMask: tf.tensor2d(mask, undefined, 'int32'),
        positionIds: tf.tensor2d(positions, undefined, 'int32'),
      };
      const out = model.forward({ ...inputs, outputHiddenStates: true });
      const logits = model.logits(out.hidden);
      const got = {
        hidden: out.hidden.arraySync(),
        states: out.hiddenStates!.map((s) => s.arraySync()),
        logits: logits.arraySync() as number[][][],
      };
      tf.dispose([out.hidden, ...out.hiddenStates!, logits, ...Object.values(inputs)]);
      return got;
    } finally {
      if (probe) {
        model.method?.dispose();
        model.useMethod(null);
      }
    }
  }

  function check(probe?: ProbeOptions) {
    const got = run(probe);
    for (let b = 0; b < ids.length; b++) {
      const want = referenceGpt2(ref, cfg, { ids: ids[b]!, types: types[b]!, mask: mask[b]!, positions: positions[b]! }, probe);
      // padding positions hold no meaning (a padded query sees only masked keys), so compare the real ones
      const real = <T>(rows: T[]) => rows.filter((_, i) => mask[b]![i] === 1);
      expect(maxAbsDiff(real(want.hidden), real(got.hidden[b]!).flat())).toBeLessThan(TOL);
      for (let l = 0; l < want.states.length; l++) {
        expect(maxAbsDiff(real(want.states[l]!), real(got.states[l]![b]!).flat()), `row ${b} state ${l}`).toBeLessThan(TOL);
      }
      expect(maxAbsDiff(real(want.logits), real(got.logits[b]!).flat())).toBeLessThan(TOL * 10);
    }
    return got;
  }

  it('plain model: every block output and the tied-head logits', () => {
    const got = check();
    // the reference is not trivially satisfied: the outputs vary across positions and rows
    expect(Math.abs(got.hidden[0]![0]![0]! - got.hidden[0]![1]![0]!)).toBeGreaterThan(1e-3);
  });

  it('with an inducer-like per-query support and afterOutput term', () => {
    check({ perQuery: true, afterOutput: true });
  });

  it('with every contract site in use (linear hooks, per-query + shared supports, adapters, position offset)', () => {
    const plain = run();
    const got = check({ linear: true, perQuery: true, shared: 3, afterOutput: true, outputs: true, positionOffset: 2 });
    expect(Math.abs(got.hidden[0]![3]![5]! - plain.hidden[0]![3]![5]!)).toBeGreaterThan(1e-3);
  });

  it('leaks no tensors', () => {
    run({ perQuery: true, shared: 2 }); // warm-up
    const before = tf.memory().numTensors;
    run({ linear: true, perQuery: true, shared: 2, afterOutput: true, outputs: true });
    run();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('RoBERTa forward equals the float64 reference', () => {
  let model: RobertaModel;
  const ref = readReferenceTensors(TINY_ROBERTA);
  const cfg = readConfig(TINY_ROBERTA);
  beforeAll(async () => {
    model = await loadRoberta(TINY_ROBERTA, { numLabels: 3, seed: 5 });
  });
  afterAll(() => model.dispose());

  // row 1 is right-padded with <pad> = 1 (positions stay 1 there, HF create_position_ids_from_input_ids)
  const ids = [
    [0, 31, 400, 77, 5, 12, 2],
    [0, 88, 123, 2, 1, 1, 1],
  ];
  const mask = [
    [1, 1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 0, 0, 0],
  ];

  function run(probe?: ProbeOptions) {
    if (probe) model.useMethod(probeInstance(model.spec, probe));
    try {
      const inputs = { inputIds: tf.tensor2d(ids, undefined, 'int32'), attentionMask: tf.tensor2d(mask, undefined, 'int32') };
      const out = model.forward({ ...inputs, outputHiddenStates: true });
      const logits = model.classify(out.hidden);
      const got = { hidden: out.hidden.arraySync(), states: out.hiddenStates!.map((s) => s.arraySync()), logits: logits.arraySync() };
      tf.dispose([out.hidden, ...out.hiddenStates!, logits, ...Object.values(inputs)]);
      return got;
    } finally {
      if (probe) {
        model.method?.dispose();
        model.useMethod(null);
      }
    }
  }

  function headWeights() {
    // the head is absent from the fixture: read back what loadRoberta initialised (HF [out, in] = our kernel transposed)
    const denseK = model['weights'].classifier.dense.getKernel();
    const outK = model['weights'].classifier.outProj.getKernel();
    const dB = model['weights'].classifier.dense.getBias()!;
    const oB = model['weights'].classifier.outProj.getBias()!;
    const denseT = tf.transpose(denseK);
    const outT = tf.transpose(outK);
    const h = {
      denseW: Float64Array.from(denseT.dataSync()),
      denseB: Float64Array.from(dB.dataSync()),
      outW: Float64Array.from(outT.dataSync()),
      outB: Float64Array.from(oB.dataSync()),
      numLabels: 3,
    };
    tf.dispose([denseK, outK, dB, oB, denseT, outT]);
    return h;
  }

  function check(probe?: ProbeOptions) {
    const got = run(probe);
    const head = headWeights();
    for (let b = 0; b < ids.length; b++) {
      const want = referenceRoberta(ref, cfg, { ids: ids[b]!, mask: mask[b]! }, probe, head);
      // padded keys are masked; padded queries are computed like any other (no causal mask), so all positions compare
      for (let l = 0; l < want.states.length; l++) {
        expect(maxAbsDiff(want.states[l]!, got.states[l]![b]!.flat()), `row ${b} state ${l}`).toBeLessThan(TOL);
      }
      expect(maxAbsDiff(want.hidden, got.hidden[b]!.flat())).toBeLessThan(TOL);
      expect(maxAbsDiff(want.logits!, got.logits[b]!)).toBeLessThan(TOL);
    }
    return got;
  }

  it('plain model: every layer output and the classification head', () => {
    const got = check();
    expect(Math.abs(got.logits[0]![0]! - got.logits[1]![0]!)).toBeGreaterThan(1e-4);
  });

  it('with an inducer-like support whose λ ignores the padding mask (the RoBERTa quirk)', () => {
    check({ perQuery: true, afterOutput: true, lambdaIgnoresPaddingMask: true });
  });

  it('with every contract site in use', () => {
    check({ linear: true, perQuery: true, shared: 2, afterOutput: true, outputs: true });
  });

  it('padding does not change the real tokens of a padded row (mask and positions from the pad index)', () => {
    const out = model.forward({ inputIds: tf.tensor2d([[0, 88, 123, 2]], undefined, 'int32') });
    const alone = out.hidden.arraySync()[0]!;
    out.hidden.dispose();
    const got = run();
    expect(maxAbsDiff(alone, got.hidden[1]!.slice(0, 4).flat())).toBeLessThan(1e-5);
  });
});
