import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BackendFeatures,
  FusedKernelNames,
  FusedKernelTable,
  KernelRegistry,
  backendHasFeature,
  fusedKernelRow,
  hasFusedKernel,
  runFusedKernel,
  runFusedKernelOutputs,
  type FusedKernelFunc,
} from '@peft/core';

const registry = new KernelRegistry<'fused'>();
afterEach(() => registry.unregister());

/** 2·x on the cpu backend, as a stand-in fused GELU. */
const double: FusedKernelFunc<'PeftGeluTanh'> = ({ inputs, backend }) => {
  const cpu = backend as { data: { get(id: object): { values: Float32Array } }; makeTensorInfo(s: number[], d: 'float32', v: Float32Array): tf.TensorInfo };
  return cpu.makeTensorInfo([...inputs.x.shape], 'float32', cpu.data.get(inputs.x.dataId).values.map((v) => 2 * v));
};

describe('the fused kernel table', () => {
  it('names every kernel once, with its inputs, attributes and outputs', () => {
    const names = Object.values(FusedKernelNames);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(Object.values(FusedKernelTable).map((s) => s.name));
    expect(FusedKernelNames.softmaxCrossEntropy).toBe('PeftSoftmaxCrossEntropy');
    expect(FusedKernelTable.softmaxCrossEntropy.inputs).toEqual({ logits: 'float32', labels: 'int32' });
    expect(FusedKernelTable.maskedSoftmax.outputs).toBe('many');
    expect(Object.keys(FusedKernelTable.maskedSoftmaxGrad.optionalInputs)).toEqual(['dLse', 'lseProbs']);
  });

  it("types the callers' inputs and attributes from the table (checked by npm run typecheck)", () => {
    const x = tf.tensor1d([1]);
    const typeErrors = () => {
      // @ts-expect-error: PeftGeluTanhGrad needs dy
      runFusedKernel(FusedKernelNames.geluTanhGrad, { x });
      // @ts-expect-error: PeftSoftmaxCrossEntropy's attribute is labelSmoothing, and it is required
      runFusedKernel(FusedKernelNames.softmaxCrossEntropy, { logits: x, labels: x }, { smoothing: 0 });
      // @ts-expect-error: lse is one of 'none' | 'masked' | 'unpadded'
      runFusedKernelOutputs(FusedKernelNames.maskedSoftmax, { scores: x }, { scale: 1, causal: false, maskedValue: -1e9, lse: 'all' });
      // @ts-expect-error: PeftMaskedSoftmax has several outputs: runFusedKernelOutputs
      runFusedKernel(FusedKernelNames.maskedSoftmax, { scores: x }, { scale: 1, causal: false, maskedValue: -1e9, lse: 'none' });
    };
    expect(typeof typeErrors).toBe('function'); // never called: the lines above are type tests
    x.dispose();
  });
});

describe('KernelRegistry', () => {
  it('adds a fused kernel, runs it through the typed helper, and removes it on unregistering', () => {
    expect(registry.register('cpu', [fusedKernelRow(FusedKernelNames.geluTanh, double)])).toEqual(['PeftGeluTanh']);
    expect(hasFusedKernel(FusedKernelNames.geluTanh)).toBe(true);
    const y = runFusedKernel(FusedKernelNames.geluTanh, { x: tf.tensor1d([1, -2, 3]) });
    expect(Array.from(y.dataSync())).toEqual([2, -4, 6]);
    y.dispose();
    registry.unregister();
    expect(hasFusedKernel(FusedKernelNames.geluTanh)).toBe(false);
  });

  it("wraps the backend's own kernel, keeps wrapping tfjs's (not its own) when registered again, and restores it", () => {
    const own = tf.getKernel('Neg', 'cpu')!;
    let calls = 0;
    const row = { kernelName: 'Neg', wrap: (original: tf.KernelFunc): tf.KernelFunc => (args) => (calls++, original(args)) };
    expect(registry.register('cpu', [row])).toEqual(['Neg']);
    expect(registry.register('cpu', [row])).toEqual(['Neg']);
    const y = tf.neg(tf.tensor1d([1, 2]));
    expect(Array.from(y.dataSync())).toEqual([-1, -2]);
    expect(calls).toBe(1); // one wrapper around tfjs's kernel, not a wrapper around the first wrapper
    registry.unregister();
    expect(tf.getKernel('Neg', 'cpu')).toBe(own);
    tf.neg(y).dispose();
    expect(calls).toBe(1);
    y.dispose();
  });

  it('skips a wrap row where the backend has no such kernel, rows whose flag is off, and backends with no kernels', () => {
    const wrapMissing = { kernelName: 'NoSuchKernel', wrap: (original: tf.KernelFunc) => original };
    const fused = fusedKernelRow(FusedKernelNames.geluTanh, double, 'fused');
    expect(registry.register('cpu', [wrapMissing, fused], { flags: { fused: false } })).toEqual([]);
    expect(tf.getKernel('NoSuchKernel', 'cpu')).toBeUndefined();
    expect(hasFusedKernel(FusedKernelNames.geluTanh)).toBe(false);
    expect(registry.register('no-such-backend', [fused])).toEqual([]);
    expect(tf.getKernel('PeftGeluTanh', 'no-such-backend')).toBeUndefined();
  });

  it('declares backend features with the kernels and withdraws them on unregistering', () => {
    const f = BackendFeatures.transposedMatMul;
    registry.register('cpu', [fusedKernelRow(FusedKernelNames.geluTanh, double)], { features: [f] });
    expect(backendHasFeature(f, 'cpu')).toBe(true);
    registry.unregister();
    expect(backendHasFeature(f, 'cpu')).toBe(false);
  });

  it("restores another registrant's kernel of a fused name instead of deleting it", () => {
    const theirs: tf.KernelFunc = (args) => double(args as never);
    tf.registerKernel({ kernelName: 'PeftGeluErf', backendName: 'cpu', kernelFunc: theirs });
    try {
      registry.register('cpu', [fusedKernelRow(FusedKernelNames.geluErf, double)]);
      expect(tf.getKernel('PeftGeluErf', 'cpu')!.kernelFunc).not.toBe(theirs);
      registry.unregister();
      expect(tf.getKernel('PeftGeluErf', 'cpu')!.kernelFunc).toBe(theirs);
    } finally {
      tf.unregisterKernel('PeftGeluErf', 'cpu');
    }
  });
});
