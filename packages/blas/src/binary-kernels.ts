import { backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import type { BlasAddon } from './addon.js';
import { contiguousStrides } from './copy-geometry.js';
import { kernelIo } from './kernel-io.js';

/** The addon's binary ops (src/native/binary.c). */
export const BinaryOp = { add: 0, sub: 1, mul: 2, div: 3 } as const;
type Op = (typeof BinaryOp)[keyof typeof BinaryOp];

/** A broadcast binary op as one index box over the output with a stride per axis for each operand (0 repeats). */
export interface BroadcastGeometry {
  readonly outShape: number[];
  readonly shape: number[];
  readonly aStrides: number[];
  readonly bStrides: number[];
}

/** Strides of `shape` read as the trailing axes of `out` (numpy broadcasting): 0 on the axes it is repeated along. */
function broadcastStrides(shape: readonly number[], out: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  const lead = out.length - shape.length;
  return out.map((_, d) => (d < lead || shape[d - lead] === 1 ? 0 : own[d - lead]!));
}

/**
 * The index box of a broadcast a ∘ b: size-1 axes dropped and neighbouring axes merged wherever both operands (and the
 * contiguous output) read them as one run, so a bias add over [N, d] is [N, d] with b's strides [0, 1], and two
 * same-shaped tensors are one flat run. Throws as tfjs does when the shapes do not broadcast.
 */
export function broadcastGeometry(aShape: readonly number[], bShape: readonly number[]): BroadcastGeometry {
  const outShape = backend_util.assertAndGetBroadcastShape([...aShape], [...bShape]);
  const sa = broadcastStrides(aShape, outShape);
  const sb = broadcastStrides(bShape, outShape);
  const shape: number[] = [];
  const as: number[] = [];
  const bs: number[] = [];
  for (let d = 0; d < outShape.length; d++) {
    if (outShape[d] === 1) continue;
    shape.push(outShape[d]!);
    as.push(sa[d]!);
    bs.push(sb[d]!);
  }
  for (let d = shape.length - 2; d >= 0; d--) {
    const inner = shape[d + 1]!;
    if (as[d] === as[d + 1]! * inner && bs[d] === bs[d + 1]! * inner) {
      shape.splice(d, 2, shape[d]! * inner);
      as.splice(d, 2, as[d + 1]!);
      bs.splice(d, 2, bs[d + 1]!);
    }
  }
  if (shape.length === 0) return { outShape, shape: [1], aStrides: [1], bStrides: [1] };
  return { outShape, shape, aStrides: as, bStrides: bs };
}

/** Add, Sub, Multiply or RealDiv of two float32 tensors, any broadcast up to 8 merged axes; tfjs's kernel otherwise. */
export function binaryKernel(backendName: string, op: Op, original: KernelFunc, addon: BlasAddon): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return original(args);
    const g = broadcastGeometry(a.shape, b.shape);
    if (g.shape.length > 8) return original(args);
    const io = kernelIo(backendName, args.backend);
    const out = io.output(g.outShape);
    if (g.shape.some((s) => s === 0)) return out;
    const [va, vb, vy] = [io.view(a), io.view(b), io.view(out)];
    addon.binary(op, va.array, va.offset, vb.array, vb.offset, vy.array, vy.offset, g.shape, g.aStrides, g.bStrides);
    return out;
  };
}
