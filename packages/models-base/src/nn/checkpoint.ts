import * as tf from '@tensorflow/tfjs-core';
import { leanGradients, multiplyByMask, valuesAtHand, type DropoutDraw, type ForwardContext } from '@peft/core';
import { customOp } from './tidy.js';

/**
 * A recorded dropout mask: its values on the host where the backend reads them synchronously (cpu, wasm: the
 * heap-limited wasm backend keeps its memory for activations), else the tensor itself (WebGPU in Node, which reads
 * the GPU back only asynchronously), kept until the custom op has saved it.
 */
type StoredMask = { readonly shape: number[]; readonly values: Float32Array } | tf.Tensor | { readonly draw: DropoutDraw | undefined };

/**
 * A context that draws each dropout mask from `base` (applied to ones, so x·mask is bit-identical to base.dropout(x))
 * and records it, so a recomputation can replay exactly the same masks.
 */
class RecordingContext implements ForwardContext {
  readonly training: boolean;
  readonly masks: StoredMask[] = [];
  /** A mask drawn by a kernel from its seed (tiled attention): the seed is what is recorded. */
  readonly dropoutDraw?: (rate: number) => DropoutDraw | undefined;
  constructor(private readonly base: ForwardContext) {
    this.training = base.training;
    if (base.dropoutDraw) {
      this.dropoutDraw = (rate) => {
        if (!this.training || rate === 0) return undefined;
        const draw = base.dropoutDraw!(rate);
        this.masks.push({ draw });
        return draw;
      };
    }
  }
  dropout<T extends tf.Tensor>(x: T, rate: number): T {
    if (!this.training || rate === 0) return x;
    const mask = this.base.dropout(tf.onesLike(x), rate);
    const values = valuesAtHand(mask);
    this.masks.push(values ? { shape: [...mask.shape], values: values as Float32Array } : tf.keep(mask));
    return multiplyByMask(x, mask); // the tape keeps the mask, not x
  }
  /** The masks held as tensors (to hand to `save`, then to dispose). */
  tensors(): tf.Tensor[] {
    return this.masks.filter((m): m is tf.Tensor => m instanceof tf.Tensor);
  }
  /** Whether any mask was drawn by a kernel from its seed (the replay must then offer dropoutDraw). */
  drewSeeds(): boolean {
    return this.masks.some((m) => 'draw' in m);
  }
}

/** Replays the masks a {@link RecordingContext} drew, in the same order (tensor masks from `saved`, in order). */
class ReplayContext implements ForwardContext {
  private next = 0;
  private nextSaved = 0;
  readonly dropoutDraw?: (rate: number) => DropoutDraw | undefined;
  constructor(
    readonly training: boolean,
    private readonly masks: readonly StoredMask[],
    private readonly saved: readonly tf.Tensor[],
    drewSeeds: boolean,
  ) {
    if (drewSeeds) {
      this.dropoutDraw = (rate) => {
        if (!this.training || rate === 0) return undefined;
        const mask = this.nextMask();
        if (!('draw' in mask)) throw new Error('gradient checkpointing: the recomputation asked for a dropout seed where the forward drew a mask');
        return mask.draw;
      };
    }
  }
  private nextMask(): StoredMask {
    const mask = this.masks[this.next++];
    if (!mask) throw new Error('gradient checkpointing: the recomputation asked for more dropout masks than the forward drew');
    return mask;
  }
  dropout<T extends tf.Tensor>(x: T, rate: number): T {
    if (!this.training || rate === 0) return x;
    const mask = this.nextMask();
    if ('draw' in mask) throw new Error('gradient checkpointing: the recomputation asked for a dropout mask where the forward drew a seed');
    if (mask instanceof tf.Tensor) return multiplyByMask(x, this.saved[this.nextSaved++]!);
    return tf.tidy(() => multiplyByMask(x, tf.tensor(mask.values, mask.shape, 'float32')));
  }
}

/**
 * Gradient checkpointing of one block: `block(h, ctx)` runs without a tape and only its input (and its dropout masks)
 * is kept; the backward recomputes the block under a nested tape and returns the gradients of `h` and of `variables`
 * (the trainable tensors the block's hooks use; they must be listed, as a custom gradient only reaches its inputs).
 * `constants` are other tensors the block reads (the padding mask): they are kept for the recomputation and handed to
 * `block` in its third argument, since the originals are gone by the time the backward runs.
 *
 * tfjs-core's `engine.gradients` (and @peft/core's `leanGradients`) resets the global tape when it ends at depth 0, which a nested call inside a backward
 * pass would do to the outer tape; the outer tape is therefore saved and restored around it (tfjs-core 4.22 internals,
 * guarded by the checkpointing tests).
 */
export function checkpointed(
  block: (h: tf.Tensor3D, ctx: ForwardContext, constants: tf.Tensor[]) => tf.Tensor3D,
  h: tf.Tensor3D,
  ctx: ForwardContext,
  variables: readonly tf.Variable[],
  constants: readonly tf.Tensor[] = [],
): tf.Tensor3D {
  const op = customOp(([x], save) => {
    const recording = new RecordingContext(ctx);
    let value: tf.Tensor3D;
    try {
      value = block(x as tf.Tensor3D, recording, [...constants]);
      save([x!, ...constants, ...recording.tensors()]); // copies, kept only when a tape records
    } finally {
      tf.dispose(recording.tensors());
    }
    return {
      value,
      gradFunc: (dy, saved) => {
        const xs = saved[0] as tf.Tensor3D;
        const kept = saved.slice(1, 1 + constants.length);
        const replay = new ReplayContext(ctx.training, recording.masks, saved.slice(1 + constants.length), recording.drewSeeds());
        const engine = tf.engine() as unknown as { state: { activeTape: unknown } };
        const outerTape = engine.state.activeTape;
        try {
          // (its backward frees each gradient and saved tensor of the recomputed block as it goes)
          const { value: recomputed, grads } = leanGradients(() => block(xs, replay, kept), [xs, ...variables], dy, true);
          recomputed.dispose();
          return grads.map((g, i) => g ?? tf.zerosLike(i === 0 ? xs : variables[i - 1]!));
        } finally {
          engine.state.activeTape = outerTape;
        }
      },
    };
  });
  return op(h, ...variables) as tf.Tensor3D;
}

/** Whether layer `layer` is checkpointed under the `checkpointBlocks` option: all (true), none, or the first k. */
export function checkpointsLayer(option: boolean | number | undefined, layer: number): boolean {
  return typeof option === 'number' ? layer < option : option === true;
}
