import * as tf from '@tensorflow/tfjs-core';
import { modelLinearSites, sinusoidal, type ForwardContext, type LinearSite, type MethodInstance, type ModelSpec, type TunableModel } from '@peft/core';
import { siteDims } from '@peft/lora';
import { gpt2Spec, robertaSpec } from '@peft/models-gpt2-roberta';

export const TINY_GPT2: ModelSpec = gpt2Spec({ nLayer: 2, nEmbd: 8, nHead: 2, nInner: 12, vocabSize: 50257 });
export const TINY_ROBERTA: ModelSpec = robertaSpec({ numLayers: 2, hiddenSize: 8, numHeads: 2, intermediateSize: 12, vocabSize: 50265 });
/** The linear sites of GPT-2 and RoBERTa: every site but a gated FFN's gate. */
export const DENSE_SITES = modelLinearSites(TINY_GPT2);

/**
 * A stand-in model with only linear sites: each is y = x·W + b, then the installed hook, which gets the site's frozen
 * weights as the models pass them (`LinearBase`). The kernels are variables, so a test can ask for their gradient.
 * Follows core's LinearWeights contract: getters return copies, setters copy.
 */
export class LinearSitesModel implements TunableModel {
  readonly kernels = new Map<string, tf.Variable>();
  private readonly biases = new Map<string, tf.Tensor1D>();
  instance: MethodInstance | null = null;

  constructor(readonly spec: ModelSpec) {
    let t = 1;
    for (let l = 0; l < spec.numLayers; l++) {
      for (const s of DENSE_SITES) {
        const [dIn, dOut] = siteDims(spec, s);
        const w = tf.tensor2d(sinusoidal(t++, 0.3)([dIn, dOut], undefined as never), [dIn, dOut]);
        this.kernels.set(`${l}/${s}`, tf.variable(w, false));
        w.dispose();
        this.biases.set(`${l}/${s}`, tf.tensor1d(sinusoidal(t++, 0.1)([dOut], undefined as never)));
      }
    }
  }
  kernel(layer: number, site: LinearSite): tf.Variable {
    return this.kernels.get(`${layer}/${site}`)!;
  }
  getLinearKernel(layer: number, site: LinearSite): tf.Tensor2D {
    return tf.clone(this.kernel(layer, site)) as tf.Tensor2D;
  }
  setLinearKernel(layer: number, site: LinearSite, kernel: tf.Tensor2D): void {
    this.kernel(layer, site).assign(kernel);
  }
  getLinearBias(layer: number, site: LinearSite): tf.Tensor1D | undefined {
    const b = this.biases.get(`${layer}/${site}`);
    return b ? tf.clone(b) : undefined;
  }
  setLinearBias(layer: number, site: LinearSite, bias: tf.Tensor1D): void {
    this.biases.get(`${layer}/${site}`)?.dispose();
    this.biases.set(`${layer}/${site}`, tf.clone(bias));
  }
  useMethod(instance: MethodInstance | null): void {
    this.instance = instance;
  }
  baseParameterCount(): number {
    let n = 0;
    for (const t of [...this.kernels.values(), ...this.biases.values()]) n += t.size;
    return n;
  }
  /** y = x·W + b, then the hook of the installed method (if any), given the site's weights. */
  site(layer: number, site: LinearSite, x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const [dIn, dOut] = siteDims(this.spec, site);
      const w = this.kernel(layer, site);
      const b = this.biases.get(`${layer}/${site}`)!;
      const y = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, dIn]), w), b), [...x.shape.slice(0, -1), dOut]);
      const hook = this.instance?.hooks(layer).linear?.[site];
      return hook ? hook(x, y, ctx, { kernel: () => tf.clone(w) as tf.Tensor2D, bias: () => tf.clone(b) }) : y;
    });
  }
  dispose(): void {
    tf.dispose([...this.kernels.values(), ...this.biases.values()]);
  }
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** max |a − b| / max |b|. */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(b[i]!));
  return maxAbsDiff(a, b) / m;
}

export function values(t: number, s: number, shape: number[]): Float32Array {
  return sinusoidal(t, s)(shape, undefined as never);
}

/** Gives every variable of `params` deterministic non-trivial values (so B ≠ 0 and m ≠ ‖W‖). */
export function randomise(params: { entries(): [string, tf.Variable][] }, salt = 20, scale = 0.2): void {
  let t = salt;
  for (const [name, v] of params.entries()) {
    // magnitudes stay near their natural size (‖W‖ is O(1) here), else a site's output would flip sign
    const s = name.endsWith('lora_magnitude_vector') ? 0.1 : scale;
    const offset = name.endsWith('lora_magnitude_vector') ? 1 : 0;
    v.assign(tf.tidy(() => tf.add(tf.tensor(values(t++, s, v.shape), v.shape), offset)));
  }
}
