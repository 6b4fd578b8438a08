import * as tf from '@tensorflow/tfjs-core';
import { BackendFeatures, ShapeError, backendHasFeature, type LinearBase } from '@peft/core';
import { customOp } from './tidy.js';

/**
 * A frozen affine map y = x·W + b with W stored [in, out] (the only fast matmul form of the stock wasm backend). Its
 * gradient with respect to x is dy·Wᵀ: a transposed product where the backend has @peft/core's `transposedMatMul`
 * feature (an accelerator such as @peft/blas), else a plain one with a pre-transposed copy of W that is made the first
 * time a gradient is needed (inference never makes it) and kept until W changes. W and b get no gradient.
 */
export class FrozenLinear {
  private transposed: tf.Tensor2D | null = null;

  constructor(
    private kernel: tf.Tensor2D, // [in, out]
    private bias: tf.Tensor1D | undefined, // [out]
    readonly name: string,
  ) {
    if (bias && bias.shape[0] !== kernel.shape[1]) throw new ShapeError(`${name}.bias`, [kernel.shape[1]], bias.shape);
  }

  get inSize(): number {
    return this.kernel.shape[0];
  }
  get outSize(): number {
    return this.kernel.shape[1];
  }

  /** x [..., in] → [..., out]. */
  apply(x: tf.Tensor): tf.Tensor {
    const shape = x.shape;
    if (shape[shape.length - 1] !== this.inSize) {
      throw new ShapeError(`${this.name} input`, [...shape.slice(0, -1), this.inSize], shape);
    }
    // one custom op from [..., in] to [..., out]: the reshapes around the product stay off the tape (tfjs's Reshape
    // keeps its input for the backward pass, and nothing here needs x)
    const outShape = [...shape.slice(0, -1), this.outSize];
    const f = customOp(([xx]) => {
      const y = tf.tidy(() => {
        const y2 = tf.matMul(tf.reshape(xx!, [-1, this.inSize]) as tf.Tensor2D, this.kernel); // [N, out]
        return tf.reshape(this.bias ? tf.add(y2, this.bias) : y2, outShape);
      });
      return {
        value: y,
        gradFunc: (dy) =>
          tf.tidy(() => {
            const dy2 = tf.reshape(dy, [-1, this.outSize]) as tf.Tensor2D;
            const dx = backendHasFeature(BackendFeatures.transposedMatMul)
              ? tf.matMul(dy2, this.kernel, false, true)
              : tf.matMul(dy2, this.kernelTransposed());
            return tf.reshape(dx, shape);
          }),
      };
    });
    return f(x);
  }

  /** Wᵀ [out, in], made once and kept. */
  private kernelTransposed(): tf.Tensor2D {
    if (!this.transposed) this.transposed = tf.keep(tf.transpose(this.kernel));
    return this.transposed;
  }

  /**
   * The frozen weights of a site this map computes, for method hooks: all its output columns, or `columns` of them
   * (GPT-2's c_attn holds q | k | v). The tensors are made in the caller's scope.
   */
  base(columns?: { readonly start: number; readonly size: number }): LinearBase {
    if (!columns) return { kernel: () => this.kernel, bias: () => this.bias };
    const { start, size } = columns;
    return {
      kernel: () => tf.slice(this.kernel, [0, start], [this.inSize, size]),
      bias: () => (this.bias ? tf.slice(this.bias, [start], [size]) : undefined),
    };
  }

  /** A copy of W [in, out]; the caller owns it. */
  getKernel(): tf.Tensor2D {
    return tf.clone(this.kernel);
  }
  /** A copy of b [out]; the caller owns it. */
  getBias(): tf.Tensor1D | undefined {
    return this.bias ? tf.clone(this.bias) : undefined;
  }

  /** Replaces W by a copy of `kernel` (same shape); the caller keeps ownership of the argument. */
  setKernel(kernel: tf.Tensor2D): void {
    if (kernel.shape[0] !== this.inSize || kernel.shape[1] !== this.outSize) {
      throw new ShapeError(`${this.name}.weight`, this.kernel.shape, kernel.shape, 'setLinearKernel');
    }
    const next = tf.keep(tf.tidy(() => tf.clone(tf.cast(kernel, 'float32'))) as tf.Tensor2D);
    this.kernel.dispose();
    this.kernel = next;
    this.transposed?.dispose();
    this.transposed = null;
  }

  /** Replaces b by a copy of `bias`; the caller keeps ownership of the argument. */
  setBias(bias: tf.Tensor1D): void {
    if (bias.rank !== 1 || bias.shape[0] !== this.outSize) {
      throw new ShapeError(`${this.name}.bias`, [this.outSize], bias.shape, 'setLinearBias');
    }
    const next = tf.keep(tf.tidy(() => tf.clone(tf.cast(bias, 'float32'))) as tf.Tensor1D);
    this.bias?.dispose();
    this.bias = next;
  }

  dispose(): void {
    this.kernel.dispose();
    this.bias?.dispose();
    this.transposed?.dispose();
    this.transposed = null;
  }
}
