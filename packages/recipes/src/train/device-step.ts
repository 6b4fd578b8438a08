import * as tf from '@tensorflow/tfjs-core';
import type { AdamW } from './adamw.js';
import { globalNormTensor, totalOver } from './clip.js';

/** What one step kept on the device reports, from its one readback. */
export interface DeviceStepResult {
  /** The loss tensor's value (the sum over the micro-batches when accumulating). */
  readonly loss: number;
  /** √Σ‖g‖² of the gradients before clipping. */
  readonly gradNorm: number;
  /** Whether the update was made: the loss and the gradient norm were finite (otherwise nothing changed). */
  readonly applied: boolean;
  /** Whether every trainable weight is finite after the step. */
  readonly weightsFinite: boolean;
}

/**
 * The end of a training step without a readback before the update is queued (a GPU backend's readback makes the CPU
 * wait for every kernel queued before it): the global gradient norm, `torch.nn.utils.clip_grad_norm_`'s coefficient
 * min(1, maxNorm/(norm + 1e-6)) (float32, on the device), the AdamW update with the gradients scaled by it, made only
 * where the loss and the norm are finite (a flag on the device gates it), and the finiteness of the weights after it —
 * then ONE readback of [loss, norm, Σ weights·0]. What the host-side loop decides from three readbacks (the loss, the
 * norm, the weights' finiteness), this decides from one: the same guard, the same update (bit for bit where nothing is
 * clipped). The small constants live on the device for the object's life ({@link dispose}).
 */
export class DeviceStep {
  private readonly zero = tf.keep(tf.scalar(0));
  private readonly one = tf.keep(tf.scalar(1));
  private readonly epsilon = tf.keep(tf.scalar(1e-6));
  private readonly maxNorm: tf.Scalar | null;

  /** `maxGradNorm`: the clipping threshold; 0 or undefined: no clipping (the norm is still reported). */
  constructor(
    private readonly optimizer: AdamW,
    maxGradNorm?: number,
  ) {
    this.maxNorm = maxGradNorm ? tf.keep(tf.scalar(maxGradNorm)) : null;
  }

  /**
   * Queues the update of `optimizer` with `grads` (in its parameters' order; not disposed here) at learning rate `lr`,
   * gated on `loss` (a scalar, not disposed here) and the norm being finite, then reads the step's figures back once.
   */
  async run(grads: readonly tf.Tensor[], loss: tf.Scalar, lr: number): Promise<DeviceStepResult> {
    const weights = this.optimizer.params.map(([, p]) => p);
    const { norm, gate, scale } = tf.tidy(() => {
      const n = grads.length ? globalNormTensor(grads) : tf.scalar(0);
      // x·0 is 0 for a finite x and NaN otherwise, and NaN ≠ 0: the gate is 1 exactly when both are finite
      const g = tf.cast(tf.equal(tf.add(tf.mul(loss, this.zero), tf.mul(n, this.zero)), this.zero), 'float32') as tf.Scalar;
      const s = this.maxNorm ? (tf.minimum(this.one, tf.div(this.maxNorm, tf.add(n, this.epsilon))) as tf.Scalar) : undefined;
      return { norm: n, gate: g, scale: s };
    });
    let figures: tf.Tensor | null = null;
    try {
      this.optimizer.apply(grads, lr, { gate, ...(scale ? { scale } : {}) });
      figures = tf.tidy(() => tf.stack([loss, norm, weights.length ? totalOver(weights, 'zeroed') : this.zero]));
      const [lossValue, normValue, weightProbe] = await figures.data();
      const applied = Number.isFinite(lossValue) && Number.isFinite(normValue);
      if (!applied) this.optimizer.undoStep();
      return { loss: lossValue!, gradNorm: normValue!, applied, weightsFinite: Number.isFinite(weightProbe) };
    } finally {
      tf.dispose([norm, gate, ...(scale ? [scale] : []), ...(figures ? [figures] : [])]);
    }
  }

  dispose(): void {
    tf.dispose([this.zero, this.one, this.epsilon, ...(this.maxNorm ? [this.maxNorm] : [])]);
  }
}
