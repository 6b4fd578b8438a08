import type * as tf from '@tensorflow/tfjs-core';
import type { LinearSite, MethodInstance } from '@peft/core';
import type { LinearSiteTable } from './linear-site-table.js';

/**
 * What every tunable model has beside its forward and its facts: the attached method, and core's `LinearWeights`
 * access to its frozen linear maps through a {@link LinearSiteTable}. A model extends it and fills the table from its
 * weights; the table's errors name the layer or site a caller asked for that the model does not have.
 */
export abstract class TunableModelBase {
  private attached: MethodInstance | null = null;

  protected constructor(private readonly linearSites: LinearSiteTable) {}

  /** The attached method instance, if any. */
  get method(): MethodInstance | null {
    return this.attached;
  }

  /** Installs a method's hooks (null removes them). */
  useMethod(instance: MethodInstance | null): void {
    this.attached = instance;
  }

  /** W [in, out] of a linear site (the transpose of HF's nn.Linear weight; a fused map's columns); a copy the caller disposes. */
  getLinearKernel(layer: number, site: LinearSite): tf.Tensor2D {
    return this.linearSites.getKernel(layer, site);
  }

  /** Replaces W of a site (a copy of `kernel` is stored; the caller keeps its tensor). */
  setLinearKernel(layer: number, site: LinearSite, kernel: tf.Tensor2D): void {
    this.linearSites.setKernel(layer, site, kernel);
  }

  /** b [out] of a site, undefined when it has none; a copy the caller disposes. */
  getLinearBias(layer: number, site: LinearSite): tf.Tensor1D | undefined {
    return this.linearSites.getBias(layer, site);
  }

  /** Replaces b; a site loaded without a bias (Llama's q_proj, any o_proj of Qwen2) gets one. */
  setLinearBias(layer: number, site: LinearSite, bias: tf.Tensor1D): void {
    this.linearSites.setBias(layer, site, bias);
  }
}
