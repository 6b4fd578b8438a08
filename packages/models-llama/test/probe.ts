// A hand-written method on every hook of the model ↔ method contract, sized from the model's spec (grouped-query k/v,
// the gated FFN's gate): closed-form parameters (core's `sinusoidal`), for decoding and gradient tests.
import * as tf from '@tensorflow/tfjs-core';
import { ParameterSet, modelLinearSites, requireSiteShape, sinusoidal, type LayerHooks, type LinearSite, type MethodInstance, type ModelSpec, type PeftMethod } from '@peft/core';

export interface ProbeOptions {
  readonly linear?: boolean;
  readonly perQuery?: boolean;
  /** Number of shared (prefix-like) supports [H, l, p]; 0 = none. */
  readonly shared?: number;
  readonly outputs?: boolean;
  readonly positionOffset?: number;
}

export function probeInstance(spec: ModelSpec, o: ProbeOptions = {}): MethodInstance {
  const params = new ParameterSet();
  const sites = modelLinearSites(spec);
  for (let l = 0; l < spec.numLayers; l++) {
    if (o.linear) {
      sites.forEach((s, i) => {
        const { inFeatures, outFeatures } = requireSiteShape(spec, s);
        params.create(`${l}.U.${s}`, [inFeatures, outFeatures], sinusoidal(10 * l + i, 0.05), 0);
      });
    }
    if (o.shared) {
      params.create(`${l}.sharedK`, [spec.numHeads, o.shared, spec.headDim], sinusoidal(100 + l, 1), 0);
      params.create(`${l}.sharedV`, [spec.numHeads, o.shared, spec.headDim], sinusoidal(200 + l, 1), 0);
    }
  }
  const hooks = (l: number): LayerHooks => {
    const linear: Partial<Record<LinearSite, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor>> = {};
    if (o.linear) {
      for (const s of sites) {
        linear[s] = (x, y) => {
          const { inFeatures, outFeatures } = requireSiteShape(spec, s);
          const xu = tf.matMul(tf.reshape(x, [-1, inFeatures]), params.get(`${l}.U.${s}`) as tf.Tensor2D);
          return tf.add(y, tf.reshape(xu, [...y.shape.slice(0, -1), outFeatures]));
        };
      }
    }
    return {
      ...(o.linear ? { linear } : {}),
      ...(o.perQuery || o.shared
        ? {
            supports: ({ q }) => ({
              ...(o.perQuery ? { perQuery: { keys: tf.mul(tf.tanh(q), 2) as tf.Tensor4D, values: tf.mul(tf.tanh(q), 0.5) as tf.Tensor4D, mode: 'residual' as const } } : {}),
              ...(o.shared ? { shared: { keys: params.get(`${l}.sharedK`), values: params.get(`${l}.sharedV`) } } : {}),
            }),
          }
        : {}),
      ...(o.outputs
        ? {
            attnOutput: (y: tf.Tensor) => tf.add(y, tf.mul(tf.tanh(y), 0.1)),
            ffnActivation: (g: tf.Tensor) => tf.mul(g, 1.1),
            ffnParallel: (x: tf.Tensor) => tf.mul(tf.tanh(x), 0.1),
            ffnOutput: (z: tf.Tensor) => tf.add(tf.mul(z, 0.9), 0.05),
          }
        : {}),
    };
  };
  const method: PeftMethod = { type: 'probe', config: {}, claims: [], init: () => instance, describe: () => 'probe' };
  const instance: MethodInstance = {
    method,
    spec,
    params,
    hooks,
    ...(o.positionOffset ? { positionOffset: o.positionOffset } : {}),
    dispose: () => params.dispose(),
  };
  return instance;
}
