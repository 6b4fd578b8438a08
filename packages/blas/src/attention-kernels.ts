import { util, type TensorInfo } from '@tensorflow/tfjs-core';
import type { FusedKernelFunc } from '@peft/core';
import type { BlasAddon } from './addon.js';
import { contiguousStrides } from './copy-geometry.js';
import { kernelIo } from './kernel-io.js';

/** Strides of an additive mask read as [B, H, n, m] (trailing-aligned broadcast; 0 along repeated axes). */
export function maskStrides(maskShape: readonly number[], scores: readonly number[]): number[] | null {
  if (maskShape.length > 4) return null;
  const own = contiguousStrides(maskShape);
  const lead = 4 - maskShape.length;
  const out: number[] = [];
  for (let d = 0; d < 4; d++) {
    const s = d < lead ? 1 : maskShape[d - lead]!;
    if (s !== 1 && s !== scores[d]) return null;
    out.push(s === 1 ? 0 : own[d - lead]!);
  }
  return out;
}

function check4(t: TensorInfo, name: string): [number, number, number, number] {
  if (t.dtype !== 'float32' || t.shape.length !== 4) throw new TypeError(`@peft/blas: ${name} must be a float32 [B, H, n, m] tensor, got ${t.dtype} [${t.shape}]`);
  return t.shape as [number, number, number, number];
}

/** @peft/core's `PeftMaskedSoftmax` (see its contract), one native pass per score row. */
export function maskedSoftmaxKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftMaskedSoftmax'> {
  return (args) => {
    const { scores, mask } = args.inputs;
    const { scale, causal, maskedValue, lse } = args.attrs;
    const dims = check4(scores, 'PeftMaskedSoftmax scores');
    const ms = mask ? maskStrides(mask.shape, dims) : [0, 0, 0, 0];
    if (!ms || (mask && mask.dtype !== 'float32')) throw new RangeError(`@peft/blas: PeftMaskedSoftmax: mask [${mask!.shape}] does not broadcast to [${dims}]`);
    const io = kernelIo(backendName, args.backend);
    const p = io.output(dims);
    const l = lse !== 'none' ? io.output([dims[0], dims[1], dims[2], 1]) : null;
    const pu = lse === 'unpadded' ? io.output(dims) : null;
    if (util.sizeFromShape(dims) > 0) {
      const vs = io.view(scores), vp = io.view(p);
      const vm = mask ? io.view(mask) : null, vl = l ? io.view(l) : null, vu = pu ? io.view(pu) : null;
      addon.maskedSoftmax(vs.array, vs.offset, vm?.array ?? null, vm?.offset ?? 0, ms, vp.array, vp.offset, vl?.array ?? null, vl?.offset ?? 0,
        vu?.array ?? null, vu?.offset ?? 0, dims, scale, causal, maskedValue);
    }
    return [p, ...(l ? [l] : []), ...(pu ? [pu] : [])];
  };
}

/** @peft/core's `PeftMaskedSoftmaxGrad` (see its contract), one native pass per score row. */
export function maskedSoftmaxGradKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftMaskedSoftmaxGrad'> {
  return (args) => {
    const { probs, dProbs, dLse, lseProbs } = args.inputs;
    const { scale, causal } = args.attrs;
    const dims = check4(probs, 'PeftMaskedSoftmaxGrad probs');
    const same = (t: TensorInfo | undefined, shape: readonly number[]) => !t || (t.dtype === 'float32' && t.shape.length === 4 && t.shape.every((s, d) => s === shape[d]));
    if (!same(dProbs, dims) || !same(lseProbs, dims) || !same(dLse, [dims[0], dims[1], dims[2], 1])) {
      throw new RangeError(`@peft/blas: PeftMaskedSoftmaxGrad: dProbs, lseProbs [${dims}] and dLse [${dims.slice(0, 3)},1] expected`);
    }
    const io = kernelIo(backendName, args.backend);
    const out = io.output(dims);
    const rows = dims[0] * dims[1] * dims[2];
    if (rows * dims[3] > 0) {
      const vp = io.view(probs), vd = io.view(dProbs), vo = io.view(out);
      const vl = dLse ? io.view(dLse) : null, vu = lseProbs ? io.view(lseProbs) : null;
      addon.maskedSoftmaxGrad(vp.array, vp.offset, vd.array, vd.offset, vl?.array ?? null, vl?.offset ?? 0, vu?.array ?? null, vu?.offset ?? 0,
        vo.array, vo.offset, rows, dims[2], dims[3], scale, causal);
    }
    return out;
  };
}

/** The float32 keep probability and its inverse as tfjs's dropout holds them (see PeftDropoutMask). */
function dropoutParams(rate: number): [keep: number, invKeep: number] {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`@peft/blas: attention dropout rate must be in [0, 1), got ${rate}`);
  return [Math.fround(1 - rate), Math.fround(1 / Math.fround(1 - rate))];
}

/**
 * [B, H, n, m, p, l, sharedKeysBatched, H_kv] of a tiled attention call, checked: k and v have H_kv heads dividing H
 * (grouped-query attention: query head j reads key/value head ⌊j / (H / H_kv)⌋).
 */
function tiledDims(q: TensorInfo, k: TensorInfo, v: TensorInfo, sk: TensorInfo | undefined, sv: TensorInfo | undefined, name: string): number[] {
  const [b, h, n, p] = check4(q, `${name} q`);
  const [kb, kh, m, kp] = check4(k, `${name} k`);
  const vs = check4(v, `${name} v`);
  if (kb !== b || kh < 1 || h % kh !== 0 || kp !== p || vs.some((s, d) => s !== k.shape[d]) || m < n) {
    throw new RangeError(`@peft/blas: ${name}: q [${q.shape}], k [${k.shape}], v [${v.shape}] must be [B, H, n, p], [B, H_kv, m, p] with H_kv dividing H and m ≥ n`);
  }
  if (!sk !== !sv) throw new RangeError(`@peft/blas: ${name}: sharedKeys and sharedValues go together`);
  if (!sk) return [b, h, n, m, p, 0, 0, kh];
  const batched = sk.shape.length === 4;
  const want = batched ? [b, h, sk.shape[2]!, p] : [h, sk.shape[1]!, p];
  const ok = (t: TensorInfo) => t.dtype === 'float32' && t.shape.length === want.length && t.shape.every((s, d) => s === want[d]);
  if (!ok(sk) || !ok(sv!)) throw new RangeError(`@peft/blas: ${name}: shared supports [${sk.shape}], [${sv!.shape}] must be [H, l, p] or [B, H, l, p] with H = ${h}, p = ${p}`);
  return [b, h, n, m, p, batched ? sk.shape[2]! : sk.shape[1]!, batched ? 1 : 0, kh];
}

/** @peft/core's `PeftAttentionTiled` (see its contract): the scores go by in tiles, never as [B, H, n, L]. */
export function attentionTiledKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftAttentionTiled'> {
  return (args) => {
    const { q, k, v, mask, sharedKeys, sharedValues } = args.inputs;
    const { scale, causal, maskedValue, lse, dropoutSeed, dropoutRate } = args.attrs;
    const dims = tiledDims(q, k, v, sharedKeys, sharedValues, 'PeftAttentionTiled');
    const [b, h, n, m, p, l] = dims as [number, number, number, number, number, number];
    const ms = mask ? maskStrides(mask.shape, [b, h, n, m]) : null;
    if (mask && (!ms || mask.dtype !== 'float32')) throw new RangeError(`@peft/blas: PeftAttentionTiled: mask [${mask.shape}] does not broadcast to [${b},${h},${n},${m}]`);
    const dropout = dropoutSeed !== '' && dropoutRate > 0;
    const [keep, invKeep] = dropout ? dropoutParams(dropoutRate) : [1, 1];
    const io = kernelIo(backendName, args.backend);
    const f = io.output([b, h, n, p]);
    const lseOut = io.output([b, h, n, 1]);
    const info = io.output([b, h, n, 10], 'int32');
    const lseU = lse === 'unpadded' ? io.output([b, h, n, 1]) : null;
    const lseSh = l > 0 ? io.output([b, h, n, 1]) : null;
    const operands = [q, k, v, sharedKeys, sharedValues, mask, f, lseOut, info, lseU, lseSh];
    const views = operands.map((t) => (t ? io.view(t) : null));
    addon.attentionTiled(views.map((x) => x?.array ?? null), views.map((x) => x?.offset ?? 0), dims, ms, [scale, causal ? 1 : 0, maskedValue, keep, invKeep, dropout ? 1 : 0], dropout ? dropoutSeed : '');
    return [f, lseOut, info, ...(lseU ? [lseU] : []), ...(lseSh ? [lseSh] : [])];
  };
}

/** @peft/core's `PeftAttentionTiledGrad` (see its contract): each tile's scores recomputed from q, k and lse. */
export function attentionTiledGradKernel(backendName: string, addon: BlasAddon): FusedKernelFunc<'PeftAttentionTiledGrad'> {
  return (args) => {
    const { q, k, v, f, lse, info, dF, mask, sharedKeys, sharedValues, dLse, lseU, dLseU, lseSh, dLseSh } = args.inputs;
    const { scale, causal, maskedValue, dropoutRate } = args.attrs;
    const dims = tiledDims(q, k, v, sharedKeys, sharedValues, 'PeftAttentionTiledGrad');
    const [b, h, n, m, p, l] = dims as [number, number, number, number, number, number];
    const ms = mask ? maskStrides(mask.shape, [b, h, n, m]) : null;
    if (mask && (!ms || mask.dtype !== 'float32')) throw new RangeError(`@peft/blas: PeftAttentionTiledGrad: mask [${mask.shape}] does not broadcast to [${b},${h},${n},${m}]`);
    const rowShaped = (t: TensorInfo | undefined, last: number, name: string) => {
      if (t && (t.shape.length !== 4 || t.shape[0] !== b || t.shape[1] !== h || t.shape[2] !== n || t.shape[3] !== last)) {
        throw new RangeError(`@peft/blas: PeftAttentionTiledGrad: ${name} [${t.shape}] must be [${b},${h},${n},${last}]`);
      }
    };
    rowShaped(f, p, 'f'), rowShaped(dF, p, 'dF'), rowShaped(lse, 1, 'lse'), rowShaped(info, 10, 'info');
    rowShaped(dLse, 1, 'dLse'), rowShaped(lseU, 1, 'lseU'), rowShaped(dLseU, 1, 'dLseU'), rowShaped(lseSh, 1, 'lseSh'), rowShaped(dLseSh, 1, 'dLseSh');
    if (info.dtype !== 'int32') throw new TypeError('@peft/blas: PeftAttentionTiledGrad: info must be the int32 tensor PeftAttentionTiled returned');
    const dropout = dropoutRate > 0;
    const [keep, invKeep] = dropout ? dropoutParams(dropoutRate) : [1, 1];
    const io = kernelIo(backendName, args.backend);
    const dQ = io.output([b, h, n, p]);
    const kvHeads = dims[7]!;
    const dK = io.output([b, kvHeads, m, p]);
    const dV = io.output([b, kvHeads, m, p]);
    const dSK = l > 0 ? io.output([b, h, l, p]) : null;
    const dSV = l > 0 ? io.output([b, h, l, p]) : null;
    const operands = [q, k, v, sharedKeys, sharedValues, mask, f, lse, info, lseU, lseSh, dF, dLse, dLseU, dLseSh, dQ, dK, dV, dSK, dSV];
    const views = operands.map((t) => (t ? io.view(t) : null));
    addon.attentionTiledGrad(views.map((x) => x?.array ?? null), views.map((x) => x?.offset ?? 0), dims, ms, [scale, causal ? 1 : 0, maskedValue, keep, invKeep, dropout ? 1 : 0], '');
    return [dQ, dK, dV, ...(dSK ? [dSK, dSV!] : [])];
  };
}
