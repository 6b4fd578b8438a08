import * as tf from '@tensorflow/tfjs-core';
import {
  LINEAR_SITES,
  SiteConflictError,
  type AttentionSupports,
  type LayerHooks,
  type ActivationHook,
  type LinearHook,
  type LinearSite,
  type OutputHook,
  type ParallelHook,
  type SupportsHook,
  type SupportsInput,
} from '@peft/core';

/**
 * One layer's hooks from the parts' hooks, in part order:
 * - linear hooks chain: y → h₁(x, y) → h₂(x, ·) (each changes what it is given), all seeing the site's frozen weights;
 * - activation hooks chain: g → a₁(g) → a₂(·);
 * - supports merge: shared keys/values concatenated along the support axis, at most one per-query support,
 *   `afterOutput` terms summed;
 * - sequential output hooks chain (claims make them exclusive, so there is at most one);
 * - parallel terms are summed.
 */
export function composeLayerHooks(parts: readonly LayerHooks[]): LayerHooks {
  const out: {
    linear?: Partial<Record<LinearSite, LinearHook>>;
    supports?: SupportsHook;
    attnOutput?: OutputHook;
    ffnActivation?: ActivationHook;
    ffnOutput?: OutputHook;
    ffnParallel?: ParallelHook;
  } = {};
  const linear: Partial<Record<LinearSite, LinearHook>> = {};
  for (const site of LINEAR_SITES) {
    const chain = parts.map((h) => h.linear?.[site]).filter((f): f is LinearHook => f !== undefined);
    if (chain.length === 1) linear[site] = chain[0]!;
    else if (chain.length > 1) linear[site] = (x, y, ctx, base) => tf.tidy(() => chain.reduce((acc, f) => f(x, acc, ctx, base), y));
  }
  if (Object.keys(linear).length > 0) out.linear = linear;

  const supports = parts.map((h) => h.supports).filter((f): f is SupportsHook => f !== undefined);
  if (supports.length === 1) out.supports = supports[0]!;
  else if (supports.length > 1) out.supports = (input) => mergeSupports(supports.map((f) => f(input)), input);

  const activation = parts.map((h) => h.ffnActivation).filter((f): f is ActivationHook => f !== undefined);
  if (activation.length === 1) out.ffnActivation = activation[0]!;
  else if (activation.length > 1) out.ffnActivation = (g, ctx) => tf.tidy(() => activation.reduce((acc, f) => f(acc, ctx), g));

  const attn = chainOutput(parts.map((h) => h.attnOutput));
  if (attn) out.attnOutput = attn;
  const ffn = chainOutput(parts.map((h) => h.ffnOutput));
  if (ffn) out.ffnOutput = ffn;

  const parallel = parts.map((h) => h.ffnParallel).filter((f): f is ParallelHook => f !== undefined);
  if (parallel.length === 1) out.ffnParallel = parallel[0]!;
  else if (parallel.length > 1) out.ffnParallel = (x, ctx) => tf.tidy(() => tf.addN(parallel.map((f) => f(x, ctx))));
  return out;
}

function chainOutput(hooks: readonly (OutputHook | undefined)[]): OutputHook | undefined {
  const chain = hooks.filter((f): f is OutputHook => f !== undefined);
  if (chain.length <= 1) return chain[0];
  return (h, ctx) => tf.tidy(() => chain.reduce((acc, f) => f(acc, ctx), h));
}

/** Several parts' supports as one (see {@link composeLayerHooks}). */
export function mergeSupports(all: readonly AttentionSupports[], input: Pick<SupportsInput, 'q'>): AttentionSupports {
  const shared = all.map((s) => s.shared).filter((s) => s !== undefined);
  const perQuery = all.map((s) => s.perQuery).filter((s) => s !== undefined);
  if (perQuery.length > 1) {
    throw new SiteConflictError('attn.supports[per-query]', 'one part', 'another part (two per-query supports cannot share one λ)');
  }
  const after = all.map((s) => s.afterOutput).filter((f) => f !== undefined);
  const merged: { shared?: AttentionSupports['shared']; perQuery?: AttentionSupports['perQuery']; afterOutput?: AttentionSupports['afterOutput'] } = {};
  if (shared.length === 1) merged.shared = shared[0]!;
  else if (shared.length > 1) {
    merged.shared = {
      keys: concatSupports(shared.map((s) => s.keys), input.q),
      values: concatSupports(shared.map((s) => s.values), input.q),
    };
    // the parts' own tensors were made for this call and are now copied; variables are never disposed here
    for (const s of shared) for (const t of [s.keys, s.values]) if (!(t instanceof tf.Variable)) t.dispose();
  }
  if (perQuery.length === 1) merged.perQuery = perQuery[0]!;
  if (after.length === 1) merged.afterOutput = after[0]!;
  else if (after.length > 1) merged.afterOutput = (lambda, ctx) => tf.tidy(() => tf.addN(after.map((f) => f(lambda, ctx))));
  return merged;
}

/** Shared keys or values, each [H, l_k, p] or [B, H, l_k, p], concatenated along the support axis. */
function concatSupports(ts: readonly tf.Tensor[], q: tf.Tensor4D): tf.Tensor {
  return tf.tidy(() => {
    if (ts.every((t) => t.rank === 3)) return tf.concat(ts as tf.Tensor[], 1); // [H, Σl, p]
    const [b, h] = q.shape;
    const full = ts.map((t) => (t.rank === 3 ? tf.broadcastTo(tf.expandDims(t, 0), [b, h, t.shape[1]!, t.shape[2]!]) : t));
    return tf.concat(full, 2); // [B, H, Σl, p]
  });
}
