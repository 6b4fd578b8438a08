import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ShapeError, type LinearSite } from '@peft/core';
import { FrozenLinear } from '../nn/linear.js';

/** A block of a frozen map's output columns: the part of a fused map that computes one site. */
export interface ColumnBlock {
  readonly start: number;
  readonly size: number;
}

/** Where a site's weights are: a whole frozen map, or a column block of a fused one (GPT-2's c_attn holds q | k | v). */
export type LinearSiteSource = FrozenLinear | { readonly linear: FrozenLinear; readonly columns: ColumnBlock };

/** The linear sites of one layer; a site the model does not have is left out. */
export type LayerLinearSites = Readonly<Partial<Record<LinearSite, LinearSiteSource>>>;

/**
 * A model's (layer, linear site) → frozen map, and core's `LinearWeights` access through it, in [in, out] layout: the
 * getters return copies the caller disposes, the setters copy their argument (the caller keeps it). A site in a column
 * block reads and writes only its columns. A layer or site the model does not have is a ConfigError naming it.
 */
export class LinearSiteTable {
  /**
   * @param model the model's family, for messages (`a gpt2 model has no 'ffn.gate' site`)
   * @param layers each layer's sites, in layer order
   * @param layerPrefix the layers' name in messages about a column block's tensors (`h` → `h.0.attn.q`)
   */
  constructor(
    private readonly model: string,
    private readonly layers: readonly LayerLinearSites[],
    private readonly layerPrefix = 'layers',
  ) {}

  /** W [in, out] of a site (its columns of a fused map); a copy the caller disposes. */
  getKernel(layer: number, site: LinearSite): tf.Tensor2D {
    const { linear, columns } = this.source(layer, site);
    if (!columns) return linear.getKernel();
    return linear.base(columns).kernel();
  }

  /** Replaces W of a site by a copy of `kernel`; the caller keeps its tensor. */
  setKernel(layer: number, site: LinearSite, kernel: tf.Tensor2D): void {
    const { linear, columns } = this.source(layer, site);
    if (!columns) return linear.setKernel(kernel);
    const expected = [linear.inSize, columns.size];
    if (kernel.shape[0] !== expected[0] || kernel.shape[1] !== expected[1]) {
      throw new ShapeError(`${this.layerPrefix}.${layer}.${site}`, expected, kernel.shape, 'setLinearKernel');
    }
    const fused = tf.tidy(() => replaceColumns(linear.getKernel(), columns, kernel) as tf.Tensor2D);
    linear.setKernel(fused);
    fused.dispose();
  }

  /** b [out] of a site (its part of a fused map's), undefined when it has none; a copy the caller disposes. */
  getBias(layer: number, site: LinearSite): tf.Tensor1D | undefined {
    const { linear, columns } = this.source(layer, site);
    if (!columns) return linear.getBias();
    return linear.base(columns).bias();
  }

  /** Replaces b of a site by a copy of `bias` (a site without one gets one); the caller keeps its tensor. */
  setBias(layer: number, site: LinearSite, bias: tf.Tensor1D): void {
    const { linear, columns } = this.source(layer, site);
    if (!columns) return linear.setBias(bias);
    if (bias.rank !== 1 || bias.shape[0] !== columns.size) {
      throw new ShapeError(`${this.layerPrefix}.${layer}.${site}.bias`, [columns.size], bias.shape, 'setLinearBias');
    }
    const fused = tf.tidy(() => {
      const whole = linear.getBias() ?? tf.zeros([linear.outSize]);
      return replaceColumns(whole, columns, bias) as tf.Tensor1D;
    });
    linear.setBias(fused);
    fused.dispose();
  }

  private source(layer: number, site: LinearSite): { linear: FrozenLinear; columns?: ColumnBlock } {
    const sites = Number.isInteger(layer) ? this.layers[layer] : undefined;
    if (!sites) throw new ConfigError('layer', `must be in [0, ${this.layers.length}), got ${layer}`);
    const source = sites[site];
    if (!source) throw new ConfigError('site', `a ${this.model} model has no '${String(site)}' site`);
    return source instanceof FrozenLinear ? { linear: source } : source;
  }
}

/** `whole` with its `columns` along its last axis replaced by `part` (of the same dtype after a cast). */
function replaceColumns(whole: tf.Tensor, columns: ColumnBlock, part: tf.Tensor): tf.Tensor {
  const axis = whole.rank - 1;
  const width = whole.shape[axis]!;
  const end = columns.start + columns.size;
  const piece = (from: number, to: number): tf.Tensor => {
    const begin = whole.shape.map(() => 0);
    const size = [...whole.shape];
    begin[axis] = from;
    size[axis] = to - from;
    return tf.slice(whole, begin, size);
  };
  const pieces = [...(columns.start > 0 ? [piece(0, columns.start)] : []), tf.cast(part, whole.dtype), ...(end < width ? [piece(end, width)] : [])];
  return tf.concat(pieces, axis);
}
