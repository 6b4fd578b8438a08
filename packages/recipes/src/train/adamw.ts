import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, FusedKernelNames, hasFusedKernel, runFusedKernelOutputs } from '@peft/core';

export interface AdamWConfig {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** Decoupled weight decay, applied as p ← p − lr·wd·p after the Adam step (Hugging Face `AdamW`). */
  readonly weightDecay: number;
  /** Which parameters get weight decay (by name); default: all. */
  readonly decays?: (name: string) => boolean;
}

/** Spec §6.1: NLG `transformers.AdamW(lr, correct_bias=True)`: β (0.9, 0.999), eps 1e-6, no weight decay. */
export const NLG_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0 };

/**
 * HF Trainer's rule: no decay for names containing `bias` or for LayerNorm weights. Our inducer names its biases `b1` /
 * `b2` where KA names them `A_bias` / `B_bias` (spec §6.2, §10), so a last path segment `b`, `b1`, `b2`… counts as a bias.
 */
export function decaysByHfRule(name: string): boolean {
  const last = name.split(/[./]/).pop() ?? name;
  return !(/bias/.test(name) || /^b\d*$/.test(last) || /layer_?norm|LayerNorm|(^|[._/])ln(_\w+)?([._/]|$)/i.test(name));
}

/** Spec §6.2: NLU AdamW: β (0.9, 0.98), eps 1e-6, weight decay 0.1 except biases and LayerNorm weights. */
export const NLU_ADAMW: AdamWConfig = { beta1: 0.9, beta2: 0.98, eps: 1e-6, weightDecay: 0.1, decays: decaysByHfRule };

/**
 * AdamW with bias correction, written over plain `tf.Variable`s, in the exact order of operations of Hugging Face's
 * `transformers.AdamW` (4.10):
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  denom = √v + eps
 *   step = lr·√(1−β2^t)/(1−β1^t);  p ← p − step·m/denom;  p ← p − lr·wd·p
 * The moments are variables owned here (created at construction, so the tensor count does not change while training).
 */
export class AdamW {
  /** Number of updates done (t of the bias correction). */
  step = 0;
  readonly m: tf.Variable[];
  readonly v: tf.Variable[];

  constructor(
    readonly params: readonly (readonly [string, tf.Variable])[],
    readonly config: AdamWConfig,
  ) {
    for (const f of ['beta1', 'beta2'] as const) {
      if (!(config[f] >= 0 && config[f] < 1)) throw new ConfigError(`adamw.${f}`, `must be in [0, 1), got ${config[f]}`);
    }
    if (!(config.eps > 0)) throw new ConfigError('adamw.eps', `must be positive, got ${config.eps}`);
    if (!(config.weightDecay >= 0)) throw new ConfigError('adamw.weightDecay', `must be ≥ 0, got ${config.weightDecay}`);
    this.m = params.map(([n, p]) => zeroVariable(p, `adamw.m.${n}#${uid()}`));
    this.v = params.map(([n, p]) => zeroVariable(p, `adamw.v.${n}#${uid()}`));
  }

  /**
   * One update with gradients in the order of `params` (not disposed here) and learning rate `lr`. Optional scalar
   * tensors that keep a step on the device: `scale` multiplies every gradient first (the global-norm clipping
   * coefficient), and where `gate` is 0 the weights and moments are left as they were (call {@link undoStep} once the
   * caller has read that it was). Where the backend has @peft/core's fused `PeftAdamW` kernel, each parameter's update
   * is that kernel; otherwise it is composed from tfjs ops, with the same operations in the same order.
   */
  apply(grads: readonly tf.Tensor[], lr: number, onDevice: { scale?: tf.Scalar; gate?: tf.Scalar } = {}): void {
    if (grads.length !== this.params.length) throw new ConfigError('grads', `expected ${this.params.length} gradients, got ${grads.length}`);
    const { beta1, beta2, eps, weightDecay } = this.config;
    const { scale, gate } = onDevice;
    this.step++;
    const stepSize = (lr * Math.sqrt(1 - beta2 ** this.step)) / (1 - beta1 ** this.step);
    const fused = hasFusedKernel(FusedKernelNames.adamw);
    tf.tidy(() => {
      const open = gate && !fused ? tf.notEqual(gate, 0) : null;
      this.params.forEach(([name, p], i) => {
        const wd = this.config.decays === undefined || this.config.decays(name) ? weightDecay : 0;
        if (fused) {
          const inputs = { param: p, m: this.m[i]!, v: this.v[i]!, grad: grads[i]!, ...(scale ? { scale } : {}), ...(gate ? { gate } : {}) };
          const [m, v, next] = runFusedKernelOutputs(FusedKernelNames.adamw, inputs, { beta1, beta2, eps, stepSize, decay: lr * wd });
          this.m[i]!.assign(m!);
          this.v[i]!.assign(v!);
          p.assign(next!);
          return;
        }
        const g = scale ? tf.mul(grads[i]!, scale) : grads[i]!;
        const m = tf.add(tf.mul(this.m[i]!, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i]!, beta2), tf.mul(tf.mul(g, g), 1 - beta2));
        const denom = tf.add(tf.sqrt(v), eps);
        let next = tf.sub(p, tf.mul(tf.div(m, denom), stepSize));
        if (wd > 0) next = tf.sub(next, tf.mul(next, lr * wd));
        this.m[i]!.assign(open ? tf.where(open, m, this.m[i]!) : m);
        this.v[i]!.assign(open ? tf.where(open, v, this.v[i]!) : v);
        p.assign(open ? tf.where(open, next, p) : next);
      });
    });
  }

  /** Takes back the last step's count: `apply`'s `gate` was 0, so no update happened. */
  undoStep(): void {
    if (this.step > 0) this.step--;
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}

let counter = 0;
function uid(): number {
  return counter++;
}

/** A non-trainable variable of p's shape, all zeros (the zeros it is made from are let go: the variable holds the data). */
function zeroVariable(p: tf.Tensor, name: string): tf.Variable {
  const zeros = tf.zerosLike(p);
  const v = tf.variable(zeros, false, name);
  zeros.dispose();
  return v;
}
