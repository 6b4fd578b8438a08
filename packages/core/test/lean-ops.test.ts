import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, leanAdd, leanReshape, leanSlice, multiplyByMask, rowDot } from '@peft/core';

const rand = (shape: number[], seed: number) => {
  const rng = new Rng(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
};
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

/** Value and gradients of sum(f(...)·w) for the lean op and tfjs's plain composition. */
function compare(xs: tf.Tensor[], lean: (...t: tf.Tensor[]) => tf.Tensor, plain: (...t: tf.Tensor[]) => tf.Tensor) {
  const w = (y: tf.Tensor) => rand(y.shape, 99);
  const wy = w(tf.tidy(() => plain(...xs)));
  const a = tf.valueAndGrads((...t: tf.Tensor[]) => tf.sum(tf.mul(lean(...t), wy)) as tf.Scalar)(xs);
  const b = tf.valueAndGrads((...t: tf.Tensor[]) => tf.sum(tf.mul(plain(...t), wy)) as tf.Scalar)(xs);
  expect(Math.abs(a.value.dataSync()[0]! - b.value.dataSync()[0]!)).toBeLessThan(1e-4);
  a.grads.forEach((g, i) => {
    expect(g.shape).toEqual(xs[i]!.shape);
    expect(maxDiff(g, b.grads[i]!)).toBeLessThan(1e-5);
  });
  tf.dispose([a.value, b.value, ...a.grads, ...b.grads, wy]);
}

describe('lean ops: the same values and gradients as tfjs, with less kept for the backward pass', () => {
  it('leanAdd under every broadcast, and with one input used twice', () => {
    for (const [sa, sb] of [[[4, 5], [4, 5]], [[2, 3, 4], [4]], [[2, 3, 4], [3, 1]], [[2, 1, 4], [2, 3, 1]], [[], [3]]]) {
      compare([rand(sa!, 1), rand(sb!, 2)], (a, b) => leanAdd(a!, b!), (a, b) => tf.add(a!, b!));
    }
    // x + (x + y): each input's gradient accumulates from two uses; none may be disposed under another
    compare([rand([3, 4], 3), rand([3, 4], 4)], (x, y) => leanAdd(x!, leanAdd(x!, y!)), (x, y) => tf.add(x!, tf.add(x!, y!)));
  });

  it('leanReshape, leanSlice, rowDot and multiplyByMask', () => {
    compare([rand([2, 3, 4], 5)], (x) => leanReshape(x!, [6, 4]), (x) => tf.reshape(x!, [6, 4]));
    compare([rand([3, 5, 4], 6)], (x) => leanSlice(x!, [1, 0, 2], [2, 5, 1]), (x) => tf.slice(x!, [1, 0, 2], [2, 5, 1]));
    compare([rand([2, 3, 8], 7), rand([2, 3, 8], 8)], (a, b) => rowDot(a!, b!), (a, b) => tf.sum(tf.mul(a!, b!), -1, true));
    const mask = tf.tensor([0, 2, 2, 0, 2, 2], [2, 3]);
    compare([rand([2, 3], 9)], (x) => multiplyByMask(x!, mask), (x) => tf.mul(x!, mask));
    compare([rand([2, 3], 10)], (x) => multiplyByMask(x!, () => tf.clone(mask)), (x) => tf.mul(x!, mask));
    // redrawn in the backward: the same values and gradient, the function called once each way
    let draws = 0;
    compare([rand([2, 3], 13)], (x) => multiplyByMask(x!, () => (draws++, tf.clone(mask)), { redraw: true }), (x) => tf.mul(x!, mask));
    expect(draws).toBe(2);
    mask.dispose();
  });

  it('the tape keeps only what the backward pass reads', () => {
    const kept = (f: (x: tf.Variable) => tf.Tensor) => {
      const x = tf.variable(rand([64, 64], 11));
      let saved = 0;
      const { value, grads } = tf.variableGrads(() => {
        const y = tf.sum(f(x)) as tf.Scalar;
        const tape = (tf.engine() as unknown as { state: { activeTape: { saved?: tf.Tensor[] }[] } }).state.activeTape;
        saved = tape.reduce((n, node) => n + (node.saved ?? []).filter((t) => t.size > 1).length, 0);
        return y;
      }, [x]);
      tf.dispose([x, value, ...Object.values(grads)]);
      return saved;
    };
    // (the final Sum keeps its input: 1)
    expect(kept((x) => tf.add(tf.reshape(tf.add(x, 1), [4096]), 2))).toBe(4); // tfjs keeps inputs for their shapes
    expect(kept((x) => leanAdd(leanReshape(leanAdd(x, tf.scalar(1)), [4096]), tf.scalar(2)))).toBe(1);
    expect(kept((x) => tf.mul(x, tf.onesLike(x)))).toBe(3); // x and the mask
    expect(kept((x) => multiplyByMask(x, () => tf.onesLike(x)))).toBe(2); // the mask only
    expect(kept((x) => multiplyByMask(x, () => tf.onesLike(x), { redraw: true }))).toBe(1); // nothing: drawn again
  });

  it('leak nothing', () => {
    const x = tf.variable(rand([8, 8], 12));
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.sum(rowDot(leanSlice(leanAdd(x, tf.scalar(1)), [0, 0], [4, 8]), multiplyByMask(tf.slice(leanReshape(x, [8, 8]), [0, 0], [4, 8]), () => tf.ones([4, 8])))) as tf.Scalar, [x]);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
