// A stand-in model for the method tests (LoRA, DoRA): only linear sites, no attention, no FFN between them.
import * as tf from '@tensorflow/tfjs-core';
import {
  modelLinearSites,
  sinusoidal,
  type ForwardContext,
  type LinearSite,
  type MethodInstance,
  type ModelSpec,
  type TunableModel,
} from '@peft/core';
import { siteDims } from '@peft/lora';

/**
 * A model with only the linear sites of its spec: each is y = x·W + b, then the installed hook, which gets the site's
 * frozen weights as the models pass them (`LinearBase`). W and b are deterministic (sinusoidal, one stream a tensor).
 * The kernels are variables, so a test can ask for their gradient. Follows core's LinearWeights contract: getters
 * return copies the caller owns, setters copy their argument (the caller keeps it).
 */
export class LinearSitesModel implements TunableModel {
  readonly kernels = new Map<string, tf.Variable>();
  private readonly biases = new Map<string, tf.Tensor1D>();
  instance: MethodInstance | null = null;

  constructor(readonly spec: ModelSpec) {
    let t = 1;
    for (let l = 0; l < spec.numLayers; l++) {
      for (const s of modelLinearSites(spec)) {
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
