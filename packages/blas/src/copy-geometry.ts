/**
 * Tile, SplitV and Identity-like kernels as strided copies: an index box with a source and a destination stride per
 * axis (in elements; a source stride of 0 repeats). Pure functions of shapes, tested on their own.
 */
export interface StridedCopy {
  readonly shape: number[];
  readonly srcOffset: number;
  readonly srcStrides: number[];
  readonly dstOffset: number;
  readonly dstStrides: number[];
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= shape[d]!;
  }
  return strides;
}

/** Drops size-1 axes and merges neighbours that are contiguous in both source and destination (fewer, longer runs). */
export function simplifyCopy(c: StridedCopy): StridedCopy {
  const shape: number[] = [];
  const ss: number[] = [];
  const ds: number[] = [];
  for (let d = 0; d < c.shape.length; d++) {
    if (c.shape[d] === 1) continue;
    shape.push(c.shape[d]!);
    ss.push(c.srcStrides[d]!);
    ds.push(c.dstStrides[d]!);
  }
  for (let d = shape.length - 2; d >= 0; d--) {
    const inner = shape[d + 1]!;
    if (ss[d] === ss[d + 1]! * inner && ds[d] === ds[d + 1]! * inner) {
      shape.splice(d, 2, shape[d]! * inner);
      ss.splice(d, 2, ss[d + 1]!);
      ds.splice(d, 2, ds[d + 1]!);
    }
  }
  if (shape.length === 0) return { ...c, shape: [1], srcStrides: [1], dstStrides: [1] };
  return { shape, srcOffset: c.srcOffset, srcStrides: ss, dstOffset: c.dstOffset, dstStrides: ds };
}

/** tile(x, reps): output axis d (size reps_d·s_d) split into (rep, index) with source strides (0, stride_d). */
export function tileCopy(shape: readonly number[], reps: readonly number[]): StridedCopy {
  const out = shape.map((s, d) => s * reps[d]!);
  const xs = contiguousStrides(shape);
  const os = contiguousStrides(out);
  const box: number[] = [];
  const ss: number[] = [];
  const ds: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    box.push(reps[d]!, shape[d]!);
    ss.push(0, xs[d]!);
    ds.push(shape[d]! * os[d]!, os[d]!);
  }
  return simplifyCopy({ shape: box, srcOffset: 0, srcStrides: ss, dstOffset: 0, dstStrides: ds });
}

/** split(x, sizes, axis): one copy per piece, from its slice of x into a contiguous output. */
export function splitCopies(shape: readonly number[], sizes: readonly number[], axis: number): StridedCopy[] {
  const xs = contiguousStrides(shape);
  let begin = 0;
  return sizes.map((size) => {
    const piece = shape.map((s, d) => (d === axis ? size : s));
    const copy = simplifyCopy({
      shape: piece,
      srcOffset: begin * xs[axis]!,
      srcStrides: xs,
      dstOffset: 0,
      dstStrides: contiguousStrides(piece),
    });
    begin += size;
    return copy;
  });
}

/** transpose(x, perm): output axis d reads input axis perm[d]. */
export function transposeCopy(shape: readonly number[], perm: readonly number[]): StridedCopy {
  const xs = contiguousStrides(shape);
  const out = perm.map((p) => shape[p]!);
  return simplifyCopy({ shape: out, srcOffset: 0, srcStrides: perm.map((p) => xs[p]!), dstOffset: 0, dstStrides: contiguousStrides(out) });
}

/** slice(x, begin, size) into a contiguous output. */
export function sliceCopy(shape: readonly number[], begin: readonly number[], size: readonly number[]): StridedCopy {
  const xs = contiguousStrides(shape);
  return simplifyCopy({
    shape: [...size],
    srcOffset: begin.reduce((o, b, d) => o + b * xs[d]!, 0),
    srcStrides: xs,
    dstOffset: 0,
    dstStrides: contiguousStrides(size),
  });
}

/** concat(xs, axis): one copy per input, into its slab of the contiguous output. */
export function concatCopies(shapes: readonly (readonly number[])[], axis: number): StridedCopy[] {
  const outShape = shapes[0]!.map((s, d) => (d === axis ? shapes.reduce((a, x) => a + x[d]!, 0) : s));
  const os = contiguousStrides(outShape);
  let begin = 0;
  return shapes.map((shape) => {
    const copy = simplifyCopy({ shape: [...shape], srcOffset: 0, srcStrides: contiguousStrides(shape), dstOffset: begin * os[axis]!, dstStrides: os });
    begin += shape[axis]!;
    return copy;
  });
}

/** pad(x, paddings): x copied into the output at offset (before_0, before_1, …); the rest is filled separately. */
export function padCopy(shape: readonly number[], paddings: readonly (readonly [number, number])[]): StridedCopy {
  const out = shape.map((s, d) => paddings[d]![0] + s + paddings[d]![1]);
  const os = contiguousStrides(out);
  return simplifyCopy({
    shape: [...shape],
    srcOffset: 0,
    srcStrides: contiguousStrides(shape),
    dstOffset: paddings.reduce((o, [before], d) => o + before * os[d]!, 0),
    dstStrides: os,
  });
}
