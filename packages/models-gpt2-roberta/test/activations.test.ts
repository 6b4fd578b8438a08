import * as tf from '@tensorflow/tfjs-core';
import { geluErf, geluErfValue, geluTanh, geluTanhValue } from '@peft/models-gpt2-roberta';
import { describe, expect, it } from 'vitest';

const maxAbs = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

describe('fused GELUs: same values and gradients as the composed forms, fewer tensors kept', () => {
  const x = tf.linspace(-6, 6, 241);
  for (const [name, fused, composed] of [
    ['tanh (gelu_new)', geluTanh, geluTanhValue],
    ['erf (gelu)', geluErf, geluErfValue],
  ] as const) {
    it(name, () => {
      const y1 = fused(x);
      const y2 = composed(x);
      expect(maxAbs(y1, y2)).toBe(0);
      // the analytic gradient equals autograd through the composed form
      const dy = tf.sin(x);
      const g1 = tf.grad((t: tf.Tensor) => fused(t))(x, dy);
      const g2 = tf.grad((t: tf.Tensor) => composed(t))(x, dy);
      expect(maxAbs(g1, g2)).toBeLessThan(1e-6);
      // known values: gelu(1) = 0.8411920 (tanh) / 0.8413447 (erf); gelu'(0) = 0.5
      const one = fused(tf.scalar(1));
      expect(one.dataSync()[0]).toBeCloseTo(name.startsWith('tanh') ? 0.841192 : 0.8413447, 6);
      const g0 = tf.grad((t: tf.Tensor) => fused(t))(tf.scalar(0));
      expect(g0.dataSync()[0]).toBeCloseTo(0.5, 7);
      tf.dispose([y1, y2, dy, g1, g2, g0, one]);
    });
  }
});
