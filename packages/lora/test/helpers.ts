import * as tf from '@tensorflow/tfjs-core';
import {
  modelLinearSites,
  sinusoidal,
  type LinearSite,
  type MethodInstance,
  type ModelSpec,
  type TunableModel,
  type ForwardContext,
} from '@peft/core';
import { gpt2Spec, robertaSpec } from '@peft/models-gpt2-roberta';
import { siteDims } from '../src/sites.js';

/** The linear sites of GPT-2 and RoBERTa: every site but a gated FFN's gate. */
export const DENSE_SITES = modelLinearSites({ architecture: 'gpt2', numLayers: 1, hiddenSize: 8, numHeads: 2, headDim: 4, intermediateSize: 12 });

// the models' own facts (HF module names, layer paths, fan_in_fan_out, task type): LoRA reads them from the spec
export const TINY_GPT2: ModelSpec = gpt2Spec({ nLayer: 2, nEmbd: 8, nHead: 2, nInner: 12, vocabSize: 50257 });
export const TINY_ROBERTA: ModelSpec = robertaSpec({ numLayers: 2, hiddenSize: 8, numHeads: 2, intermediateSize: 12, vocabSize: 50265 });
export const GPT2_SMALL: ModelSpec = gpt2Spec({ nLayer: 12, nEmbd: 768, nHead: 12, nInner: 3072, vocabSize: 50257 });
export const ROBERTA_BASE: ModelSpec = robertaSpec({ numLayers: 12, hiddenSize: 768, numHeads: 12, intermediateSize: 3072, vocabSize: 50265 });

/**
 * A stand-in model with only linear sites: each site is y = x·W + b followed by the installed hook. It owns its
 * kernels and biases and follows core's LinearWeights contract: getters return copies the caller owns, setters copy
 * their argument (the caller keeps it) and free the replaced tensor.
 */
export class LinearSitesModel implements TunableModel {
  private readonly kernels = new Map<string, tf.Tensor2D>();
  private readonly biases = new Map<string, tf.Tensor1D>();
  instance: MethodInstance | null = null;

  constructor(readonly spec: ModelSpec) {
    let t = 1;
    for (let l = 0; l < spec.numLayers; l++) {
      for (const s of DENSE_SITES) {
        const [dIn, dOut] = siteDims(spec, s);
        this.kernels.set(`${l}/${s}`, tf.tensor2d(sinusoidal(t++, 0.3)([dIn, dOut], undefined as never), [dIn, dOut]));
        this.biases.set(`${l}/${s}`, tf.tensor1d(sinusoidal(t++, 0.1)([dOut], undefined as never)));
      }
    }
  }
  getLinearKernel(layer: number, site: LinearSite): tf.Tensor2D {
    return tf.clone(this.kernels.get(`${layer}/${site}`)!);
  }
  setLinearKernel(layer: number, site: LinearSite, kernel: tf.Tensor2D): void {
    this.kernels.get(`${layer}/${site}`)!.dispose();
    this.kernels.set(`${layer}/${site}`, tf.clone(kernel));
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
  /** y = x·W + b, then the hook of the installed method (if any). */
  site(layer: number, site: LinearSite, x: tf.Tensor, ctx: ForwardContext): tf.Tensor {
    return tf.tidy(() => {
      const [dIn, dOut] = siteDims(this.spec, site);
      const y = tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, dIn]), this.kernels.get(`${layer}/${site}`)!), this.biases.get(`${layer}/${site}`)!), [...x.shape.slice(0, -1), dOut]);
      const hook = this.instance?.hooks(layer).linear?.[site];
      return hook ? hook(x, y, ctx) : y;
    });
  }
  dispose(): void {
    tf.dispose([...this.kernels.values(), ...this.biases.values()]);
  }
}

/** Row-major float64 matrix product of plain arrays: [n, k] × [k, m]. */
export function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, n: number, k: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) {
    let s = 0;
    for (let t = 0; t < k; t++) s += a[i * k + t]! * b[t * m + j]!;
    out[i * m + j] = s;
  }
  return out;
}

/** Transpose of a row-major [n, m] matrix. */
export function transpose64(a: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) out[j * n + i] = a[i * m + j]!;
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

export function values(t: number, s: number, shape: number[]): Float32Array {
  return sinusoidal(t, s)(shape, undefined as never);
}
