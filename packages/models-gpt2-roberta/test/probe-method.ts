/**
 * A small hand-written method that implements the model ↔ method contract at EVERY site, with closed-form parameters
 * (core's `sinusoidal` rule: value[i] = s·sin(0.7·i + 1.1·t + 0.3)), so the float64 reference can rebuild it:
 *
 * - linear sites: y + x·U_site (U [in, out], t = 10·layer + site index, s = 0.05)
 * - attn.supports: per-query keys P = 2·tanh(Q), residual values m = 0.5·tanh(Q) (inducer-like); optionally
 *   shared keys/values [H, l, p] (prefix-like, t = 100 + layer / 200 + layer, s = 1) and `afterOutput`
 *   Σ_h λ_h·w_h with w [H, d] (t = 300 + layer, s = 0.1)
 * - attn.output: y + 0.1·tanh(y); ffn.parallel: 0.1·tanh(x); ffn.output: 0.9·z + 0.05
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  ParameterSet,
  sinusoidal,
  LINEAR_SITES,
  type LayerHooks,
  type LinearSite,
  type MethodInstance,
  type ModelSpec,
  type PeftMethod,
} from '@peft/core';

export interface ProbeOptions {
  readonly linear?: boolean;
  readonly perQuery?: boolean;
  /** Number of shared (prefix-like) supports; 0 = none. */
  readonly shared?: number;
  readonly afterOutput?: boolean;
  readonly outputs?: boolean;
  readonly lambdaIgnoresPaddingMask?: boolean;
  readonly positionOffset?: number;
  /** Called with the site name each time a hook runs, to check the call order. */
  readonly trace?: (layer: number, site: string) => void;
}

export const siteIndex = (s: LinearSite) => LINEAR_SITES.indexOf(s);
export const linearShape = (spec: ModelSpec, s: LinearSite): [number, number] =>
  s === 'ffn.in' ? [spec.hiddenSize, spec.intermediateSize] : s === 'ffn.out' ? [spec.intermediateSize, spec.hiddenSize] : [spec.hiddenSize, spec.hiddenSize];

export function probeInstance(spec: ModelSpec, o: ProbeOptions = {}): MethodInstance {
  const params = new ParameterSet();
  const H = spec.numHeads;
  const p = spec.headDim;
  const d = spec.hiddenSize;
  for (let l = 0; l < spec.numLayers; l++) {
    if (o.linear) for (const s of LINEAR_SITES) params.create(`${l}.U.${s}`, linearShape(spec, s), sinusoidal(10 * l + siteIndex(s), 0.05), 0);
    if (o.shared) {
      params.create(`${l}.sharedK`, [H, o.shared, p], sinusoidal(100 + l, 1), 0);
      params.create(`${l}.sharedV`, [H, o.shared, p], sinusoidal(200 + l, 1), 0);
    }
    if (o.afterOutput) params.create(`${l}.w`, [H, d], sinusoidal(300 + l, 0.1), 0);
  }
  const trace = o.trace ?? (() => undefined);
  const hooks = (l: number): LayerHooks => {
    const linear: Partial<Record<LinearSite, (x: tf.Tensor, y: tf.Tensor) => tf.Tensor>> = {};
    if (o.linear) {
      for (const s of LINEAR_SITES) {
        linear[s] = (x, y) => {
          trace(l, s);
          const [din, dout] = linearShape(spec, s);
          const xu = tf.matMul(tf.reshape(x, [-1, din]), params.get(`${l}.U.${s}`) as tf.Tensor2D);
          return tf.add(y, tf.reshape(xu, [...y.shape.slice(0, -1), dout]));
        };
      }
    }
    const h: LayerHooks = {
      ...(o.linear ? { linear } : {}),
      ...(o.perQuery || o.shared || o.afterOutput
        ? {
            supports: ({ q }) => {
              trace(l, 'attn.supports');
              const [b, , n] = q.shape;
              return {
                ...(o.perQuery
                  ? {
                      perQuery: {
                        keys: tf.mul(tf.tanh(q), 2) as tf.Tensor4D,
                        values: tf.mul(tf.tanh(q), 0.5) as tf.Tensor4D,
                        mode: 'residual' as const,
                        ...(o.lambdaIgnoresPaddingMask ? { lambdaIgnoresPaddingMask: true } : {}),
                      },
                    }
                  : {}),
                ...(o.shared ? { shared: { keys: params.get(`${l}.sharedK`), values: params.get(`${l}.sharedV`) } } : {}),
                ...(o.afterOutput
                  ? {
                      afterOutput: (lambda: tf.Tensor3D | undefined) => {
                        trace(l, 'afterOutput');
                        const lam = lambda ?? tf.zeros([b, H, n]);
                        // Σ_h λ[b, h, i]·w[h, :] → [B, n, d]
                        const lt = tf.reshape(tf.transpose(lam, [0, 2, 1]), [b * n, H]);
                        return tf.reshape(tf.matMul(lt, params.get(`${l}.w`) as tf.Tensor2D), [b, n, d]);
                      },
                    }
                  : {}),
              };
            },
          }
        : {}),
      ...(o.outputs
        ? {
            attnOutput: (y: tf.Tensor) => (trace(l, 'attn.output'), tf.add(y, tf.mul(tf.tanh(y), 0.1))),
            ffnParallel: (x: tf.Tensor) => (trace(l, 'ffn.parallel'), tf.mul(tf.tanh(x), 0.1)),
            ffnOutput: (z: tf.Tensor) => (trace(l, 'ffn.output'), tf.add(tf.mul(z, 0.9), 0.05)),
          }
        : {}),
    };
    return h;
  };
  const method: PeftMethod = {
    type: 'probe',
    config: {},
    claims: [],
    init: () => instance,
    describe: () => 'probe',
  };
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
