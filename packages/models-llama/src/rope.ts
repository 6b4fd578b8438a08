import * as tf from '@tensorflow/tfjs-core';
import { customOp } from '@peft/models-base';
import type { RopeScaling } from './config.js';

const f32 = Math.fround;

/**
 * The rotary inverse frequencies [p/2] of transformers 5 (`modeling_rope_utils`), in float32 as PyTorch computes them:
 * `1 / base^(arange(0, p, 2) / p)`, then `linear` divides by its factor and `llama3` rescales the low frequencies
 * (wavelength above original_max / low_freq_factor: ÷ factor) and interpolates the medium ones.
 */
export function ropeInverseFrequencies(headDim: number, theta: number, scaling: RopeScaling): Float32Array {
  const half = headDim / 2;
  const inv = new Float32Array(half);
  for (let i = 0; i < half; i++) inv[i] = f32(1 / f32(Math.pow(theta, f32((2 * i) / headDim))));
  if (scaling.type === 'linear') {
    for (let i = 0; i < half; i++) inv[i] = f32(inv[i]! / scaling.factor);
  } else if (scaling.type === 'llama3') {
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: old } = scaling;
    const lowFreqWavelen = old / lowFreqFactor;
    const highFreqWavelen = old / highFreqFactor;
    for (let i = 0; i < half; i++) {
      const f = inv[i]!;
      const wavelen = f32((2 * Math.PI) / f);
      let v = wavelen > lowFreqWavelen ? f32(f / factor) : f;
      const medium = !(wavelen < highFreqWavelen) && !(wavelen > lowFreqWavelen);
      if (medium) {
        const smooth = f32(f32(f32(old / wavelen) - lowFreqFactor) / (highFreqFactor - lowFreqFactor));
        v = f32(f32(f32(f32(1 - smooth) * v) / factor) + f32(smooth * v));
      }
      inv[i] = v;
    }
  }
  return inv;
}

/** cos and sin of the rotation angles, [B, 1, n, p] each (the halves repeated: HF's `cat((freqs, freqs))`). */
export interface RotaryAngles {
  readonly cos: tf.Tensor4D;
  readonly sin: tf.Tensor4D;
}

/** The angles of int32 positions [B, n]: position·inv_freq in float32, as transformers' rotary embedding. */
export function rotaryAngles(positions: tf.Tensor2D, invFreq: Float32Array): RotaryAngles {
  return tf.tidy(() => {
    const [b, n] = positions.shape;
    const half = invFreq.length;
    const freqs = tf.mul(tf.reshape(tf.cast(positions, 'float32'), [b, n, 1]), tf.tensor1d(invFreq)); // [B, n, p/2]
    const emb = tf.reshape(tf.concat([freqs, freqs], -1), [b, 1, n, 2 * half]);
    return { cos: tf.cos(emb) as tf.Tensor4D, sin: tf.sin(emb) as tf.Tensor4D };
  });
}

/** HF's rotate_half: [x1, x2] → [−x2, x1] along the last axis. */
function rotateHalf(x: tf.Tensor): tf.Tensor {
  const [x1, x2] = tf.split(x, 2, -1) as [tf.Tensor, tf.Tensor];
  return tf.concat([tf.neg(x2), x1], -1);
}

/** The transpose of rotate_half: [z1, z2] → [z2, −z1]. */
function rotateHalfTransposed(z: tf.Tensor): tf.Tensor {
  const [z1, z2] = tf.split(z, 2, -1) as [tf.Tensor, tf.Tensor];
  return tf.concat([z2, tf.neg(z1)], -1);
}

/**
 * x·cos + rotate_half(x)·sin for x [B, H, n, p] (HF `apply_rotary_pos_emb`), under a custom gradient that keeps only
 * cos and sin: dx = dy·cos + rotate_halfᵀ(dy·sin). The angles get no gradient.
 */
export function applyRotary(x: tf.Tensor4D, angles: RotaryAngles): tf.Tensor4D {
  const op = customOp(([xx], save) => {
    save([angles.cos, angles.sin]);
    return {
      value: tf.tidy(() => tf.add(tf.mul(xx!, angles.cos), tf.mul(rotateHalf(xx!), angles.sin))),
      gradFunc: (dy, [cos, sin]) => tf.tidy(() => tf.add(tf.mul(dy, cos!), rotateHalfTransposed(tf.mul(dy, sin!)))),
    };
  });
  return op(x) as tf.Tensor4D;
}
