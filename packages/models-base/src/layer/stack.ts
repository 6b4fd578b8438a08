import * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from '@peft/core';
import type { LayerCache } from '../cache.js';
import { checkpointed, checkpointsLayer } from '../nn/checkpoint.js';
import { tidyObject } from '../nn/tidy.js';

/**
 * One layer of a model's stack: x [B, n, d] under `ctx` → its output [B, n, d], and its keys/values where a cache is
 * kept. What the layer reads besides x (padding masks, rotary angles) comes in `constants`, so that a rematerialised
 * layer receives it as inputs of its custom gradient; the method's hooks are asked for inside, so a recomputation
 * gets fresh ones.
 */
export type StackLayer = (x: tf.Tensor3D, ctx: ForwardContext, constants: tf.Tensor[]) => { readonly h: tf.Tensor3D; readonly present?: LayerCache };

export interface LayerStackOptions {
  readonly ctx: ForwardContext;
  /** Gradient checkpointing of the layers: all (true), none, or the first k. Not with a cache. */
  readonly checkpointBlocks?: boolean | number;
  /** What a rematerialised layer's backward differentiates: the attached method's variables. */
  readonly trainable: readonly tf.Variable[];
  /** Keep each layer's keys/values (`present`): a cache is being built or extended. */
  readonly keepPresents: boolean;
  /** Also return every layer's input and the last layer's output. */
  readonly outputHiddenStates?: boolean;
}

export interface LayerStackResult {
  /** The last layer's output [B, n, d]. */
  readonly h: tf.Tensor3D;
  /** Each layer's keys/values, when `keepPresents`. */
  readonly presents: LayerCache[];
  /** L + 1 tensors, when `outputHiddenStates`. */
  readonly states: tf.Tensor3D[];
}

/**
 * Runs layers 0 … L − 1 on h [B, n, d], the same way for every model: each kept layer in its own scope (what its tape
 * does not keep is freed at the layer's end, not the model's: GPT-2 small at B 8 × T 128, ~65 MB a layer that would
 * otherwise live until the forward ends), or rematerialised in the backward pass (`checkpointBlocks`). Call it inside
 * the forward's own scope.
 */
export function runLayerStack(
  h: tf.Tensor3D,
  numLayers: number,
  layer: (i: number) => StackLayer,
  constants: (i: number) => tf.Tensor[],
  o: LayerStackOptions,
): LayerStackResult {
  const presents: LayerCache[] = [];
  const states: tf.Tensor3D[] = [];
  for (let i = 0; i < numLayers; i++) {
    if (o.outputHiddenStates) states.push(h);
    const run = layer(i);
    const inputs = constants(i);
    if (checkpointsLayer(o.checkpointBlocks, i)) {
      h = checkpointed((x, layerCtx, kept) => run(x, layerCtx, kept).h, h, o.ctx, o.trainable, inputs);
    } else {
      const x = h;
      const out = tidyObject((): { h: tf.Tensor3D; present?: LayerCache } => {
        const r = run(x, o.ctx, inputs);
        return o.keepPresents && r.present ? { h: r.h, present: r.present } : { h: r.h };
      });
      h = out.h;
      if (out.present) presents.push(out.present);
    }
  }
  if (o.outputHiddenStates) states.push(h);
  return { h, presents, states };
}
