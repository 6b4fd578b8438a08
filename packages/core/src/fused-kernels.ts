import * as tf from '@tensorflow/tfjs-core';

/**
 * Optional fused kernels. An accelerator (such as @peft/blas or @peft/webgpu) may register these kernel names into a
 * TensorFlow.js backend; models and methods call them when the active backend has them and compose the same function
 * from tfjs ops otherwise, so results agree to float32 rounding either way. Each is a forward or backward piece used
 * inside a custom gradient, never differentiated by tfjs itself.
 *
 * {@link FusedKernelTable} is the one place a fused kernel is declared: its name, its inputs (with their dtypes; the
 * optional ones apart), its attributes (with their types) and whether it has one output or several. The types of
 * {@link runFusedKernel} (the callers' side) and of {@link FusedKernelFunc} (an accelerator's implementation) are
 * derived from it, so a caller and a kernel cannot disagree on an input's or attribute's name or type.
 */

/** How the table spells an attribute's type: a primitive, an array of numbers, or a list of allowed strings. */
type AttrSpec = 'number' | 'boolean' | 'string' | 'number[]' | readonly string[];
type InputDtype = 'float32' | 'int32';

interface FusedKernelSpec {
  /** The tfjs kernel name registered into a backend. */
  readonly name: string;
  /** Required inputs and their dtypes. */
  readonly inputs: Readonly<Record<string, InputDtype>>;
  /** Inputs that may be left out, and their dtypes. */
  readonly optionalInputs: Readonly<Record<string, InputDtype>>;
  readonly attrs: Readonly<Record<string, AttrSpec>>;
  /** 'one': a tensor; 'many': an array of tensors. */
  readonly outputs: 'one' | 'many';
}

const none = {} as const;

export const FusedKernelTable = {
  /** inputs `{ x }` → y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (GPT-2's `gelu_new`). */
  geluTanh: { name: 'PeftGeluTanh', inputs: { x: 'float32' }, optionalInputs: none, attrs: none, outputs: 'one' },
  /** inputs `{ x, dy }` (same shape) → dy·d/dx gelu_new(x). */
  geluTanhGrad: { name: 'PeftGeluTanhGrad', inputs: { x: 'float32', dy: 'float32' }, optionalInputs: none, attrs: none, outputs: 'one' },
  /**
   * inputs `{ logits [r, V], labels [r] }`, attrs `{ labelSmoothing: ε }` → [r, 2] float32, per row: logsumexp_j z_j,
   * and the smoothed cross-entropy lse − (1 − ε)·z_y − ε·mean_j z_j.
   */
  softmaxCrossEntropy: {
    name: 'PeftSoftmaxCrossEntropy',
    inputs: { logits: 'float32', labels: 'int32' },
    optionalInputs: none,
    attrs: { labelSmoothing: 'number' },
    outputs: 'one',
  },
  /**
   * inputs `{ logits [r, V], lse [r], labels [r], weights [r] }`, attrs `{ labelSmoothing: ε }` → [r, V] float32:
   * (exp(z − lse) − (1 − ε)·[j = y] − ε/V)·w, the loss's gradient per unit upstream gradient (the LM loss's two
   * passes over the [rows, vocabulary] logits).
   */
  softmaxCrossEntropyGrad: {
    name: 'PeftSoftmaxCrossEntropyGrad',
    inputs: { logits: 'float32', lse: 'float32', labels: 'int32', weights: 'float32' },
    optionalInputs: none,
    attrs: { labelSmoothing: 'number' },
    outputs: 'one',
  },
  /**
   * LayerNorm over the last axis: inputs `{ x [..., d], gamma [d], beta? [d] }`, attrs `{ eps, centre }` → `[y,
   * normed [..., d], rstd [..., 1]]` with μ = mean(x) (0 without `centre`: RMSNorm), rstd = 1/√(mean((x − μ)²) + eps)
   * (biased variance, as PyTorch), normed = (x − μ)·rstd, y = normed·γ (+ β).
   */
  layerNorm: {
    name: 'PeftLayerNorm',
    inputs: { x: 'float32', gamma: 'float32' },
    optionalInputs: { beta: 'float32' },
    attrs: { eps: 'number', centre: 'boolean' },
    outputs: 'many',
  },
  /**
   * inputs `{ dy [..., d], normed [..., d], rstd [..., 1], gamma [d] }`, attrs `{ centre }` → dx = rstd·(g − mean(g) −
   * normed·mean(g·normed)), g = dy·γ (without `centre`, no mean(g) term): the gradient of `layerNorm`'s y with respect
   * to x (γ and β frozen).
   */
  layerNormGrad: {
    name: 'PeftLayerNormGrad',
    inputs: { dy: 'float32', normed: 'float32', rstd: 'float32', gamma: 'float32' },
    optionalInputs: none,
    attrs: { centre: 'boolean' },
    outputs: 'one',
  },
  /** As `geluTanh`, for the exact GELU 0.5·x·(1 + erf(x/√2)) (RoBERTa's `gelu`). */
  geluErf: { name: 'PeftGeluErf', inputs: { x: 'float32' }, optionalInputs: none, attrs: none, outputs: 'one' },
  /** As `geluTanhGrad`, for the exact GELU. */
  geluErfGrad: { name: 'PeftGeluErfGrad', inputs: { x: 'float32', dy: 'float32' }, optionalInputs: none, attrs: none, outputs: 'one' },
  /**
   * inputs `{ scores [B, H, n, m], mask? }` (mask: additive, broadcastable to the scores), attrs
   * `{ scale, causal, maskedValue, lse }`. With s' = scale·s on the keys query i sees (causal: j ≤ m − n + i) and
   * `maskedValue` elsewhere, and s'' = s' + mask: → `[P = softmax(s'')]`, with `lse: 'masked'` →
   * `[P, logsumexp(s'') [B, H, n, 1]]`, with `'unpadded'` → `[P, logsumexp(s'), softmax(s')]`.
   */
  maskedSoftmax: {
    name: 'PeftMaskedSoftmax',
    inputs: { scores: 'float32' },
    optionalInputs: { mask: 'float32' },
    attrs: { scale: 'number', causal: 'boolean', maskedValue: 'number', lse: ['none', 'masked', 'unpadded'] },
    outputs: 'many',
  },
  /**
   * inputs `{ probs P, dProbs, dLse? [B, H, n, 1], lseProbs? }`, attrs `{ scale, causal }` → dScores =
   * scale·[j visible]·(P∘(dP − Σ_j dP_j·P_j) + dLse·(lseProbs ?? P)): the gradient of the above with respect to the raw
   * scores, through P and through the log-sum-exp; [j visible] is 0 on keys the causal limit hides (the dropout mask is
   * not an input: it is already in dP).
   */
  maskedSoftmaxGrad: {
    name: 'PeftMaskedSoftmaxGrad',
    inputs: { probs: 'float32', dProbs: 'float32' },
    optionalInputs: { dLse: 'float32', lseProbs: 'float32' },
    attrs: { scale: 'number', causal: 'boolean' },
    outputs: 'one',
  },
  /**
   * Attention without its [B, H, n, L] scores (tiles over the keys with an online softmax). inputs `{ q [B, H, n, p],
   * k, v [B, H, m, p] (or [B, H_kv, m, p] where the backend declares `groupedKeyValueHeads`), mask?, sharedKeys?,
   * sharedValues? }` (mask additive, broadcastable to [B, H, n, m]; shared
   * supports [H, l, p] or [B, H, l, p], seen by every query, never masked, ordered before the keys), attrs `{ scale,
   * causal, maskedValue, lse, dropoutSeed, dropoutRate }`. Scores z_t = scale·⟨q, key_t⟩ over the L = l + m supports,
   * with `PeftMaskedSoftmax`'s causal replacement and padding on the m keys; P = softmax(z), and dropout with the
   * mask PeftDropoutMask(shape [B, H, n, L], dropoutSeed, dropoutRate) would draw (none where dropoutSeed is '').
   * → `[f = (P∘drop)·[SV; V] [B, H, n, p], lse = logsumexp(z) [B, H, n, 1], info [B, H, n, 10] int32 (what the
   * gradient needs per row: the dropout stream's state and the row's key count)]`, then with `lse: 'unpadded'`
   * logsumexp of the scores without the padding mask [B, H, n, 1], then with shared supports logsumexp over them
   * alone [B, H, n, 1].
   */
  attentionTiled: {
    name: 'PeftAttentionTiled',
    inputs: { q: 'float32', k: 'float32', v: 'float32' },
    optionalInputs: { mask: 'float32', sharedKeys: 'float32', sharedValues: 'float32' },
    attrs: { scale: 'number', causal: 'boolean', maskedValue: 'number', lse: ['none', 'masked', 'unpadded'], dropoutSeed: 'string', dropoutRate: 'number' },
    outputs: 'many',
  },
  /**
   * The gradient of `attentionTiled`, recomputing its scores tile by tile: inputs its inputs, its outputs `f, lse,
   * info` (and `lseU`, `lseSh` where their gradients `dLseU`, `dLseSh` are given), `dF` and `dLse?` → `[dQ, dK, dV]`
   * (dK, dV shaped as k and v), then with shared supports `[dSharedKeys, dSharedValues]` as [B, H, l, p] (summed over B
   * by the caller where the supports were [H, l, p]).
   */
  attentionTiledGrad: {
    name: 'PeftAttentionTiledGrad',
    inputs: { q: 'float32', k: 'float32', v: 'float32', f: 'float32', lse: 'float32', info: 'int32', dF: 'float32' },
    optionalInputs: {
      mask: 'float32',
      sharedKeys: 'float32',
      sharedValues: 'float32',
      dLse: 'float32',
      lseU: 'float32',
      dLseU: 'float32',
      lseSh: 'float32',
      dLseSh: 'float32',
    },
    attrs: { scale: 'number', causal: 'boolean', maskedValue: 'number', dropoutRate: 'number' },
    outputs: 'many',
  },
  /**
   * no inputs, attrs `{ shape, seed, rate }` → float32 mask of `shape`, bit for bit
   * floor(randomUniform(shape, 0, 1, 'float32', seed) + (1 − rate))·(1/(1 − rate)) as tfjs computes it (0 or 1/keep).
   */
  dropoutMask: { name: 'PeftDropoutMask', inputs: none, optionalInputs: none, attrs: { shape: 'number[]', seed: 'string', rate: 'number' }, outputs: 'one' },
  /**
   * One AdamW update of one parameter, in Hugging Face `transformers.AdamW`'s order of operations: inputs
   * `{ param, m, v, grad }` (same shape) and optional float32 scalars `{ scale, gate }`; attrs `{ beta1, beta2, eps,
   * stepSize, decay }` → `[m', v', param']` with g = grad·scale (scale absent: g = grad), m' = β1·m + (1−β1)·g,
   * v' = β2·v + (1−β2)·(g·g), p₁ = param − (m'/(√v' + eps))·stepSize, param' = decay > 0 ? p₁ − p₁·decay : p₁; where
   * `gate` is given and 0, the three outputs are m, v and param unchanged (a step skipped on the device).
   */
  adamw: {
    name: 'PeftAdamW',
    inputs: { param: 'float32', m: 'float32', v: 'float32', grad: 'float32' },
    optionalInputs: { scale: 'float32', gate: 'float32' },
    attrs: { beta1: 'number', beta2: 'number', eps: 'number', stepSize: 'number', decay: 'number' },
    outputs: 'many',
  },
  /**
   * inputs `{ x }`, attrs `{ of }` → a float32 scalar: Σ x² (`of: 'squares'`, a gradient's squared norm) or Σ x·0
   * (`of: 'zeroed'`: 0 when every value is finite, NaN otherwise), in any order of summation.
   */
  reduceTotal: { name: 'PeftReduceTotal', inputs: { x: 'float32' }, optionalInputs: none, attrs: { of: ['squares', 'zeroed'] }, outputs: 'one' },
} as const satisfies Record<string, FusedKernelSpec>;

type Table = typeof FusedKernelTable;
type TableKey = keyof Table;

/** The fused kernels' names, by the table's keys (`FusedKernelNames.geluTanh` is `'PeftGeluTanh'`). */
export const FusedKernelNames = Object.fromEntries(Object.entries(FusedKernelTable).map(([key, spec]) => [key, spec.name])) as {
  readonly [K in TableKey]: Table[K]['name'];
};

export type FusedKernelName = Table[TableKey]['name'];

/** The table's entry of a kernel name. */
type SpecOf<N extends FusedKernelName> = Extract<Table[TableKey], { name: N }>;

type AttrType<S> = S extends 'number' ? number : S extends 'boolean' ? boolean : S extends 'string' ? string : S extends 'number[]' ? number[] : S extends readonly (infer U)[] ? U : never;

/** A fused kernel's inputs: tensors (`tf.Tensor` where it is called, `tf.TensorInfo` inside a kernel). */
export type FusedKernelInputs<N extends FusedKernelName, T = tf.Tensor> = { [K in keyof SpecOf<N>['inputs']]: T } & { [K in keyof SpecOf<N>['optionalInputs']]?: T };

/** A fused kernel's attributes. */
export type FusedKernelAttrs<N extends FusedKernelName> = { -readonly [K in keyof SpecOf<N>['attrs']]: AttrType<SpecOf<N>['attrs'][K]> };

/** Names of the fused kernels with one output (run with {@link runFusedKernel}); the others return several. */
export type SingleOutputFusedKernelName = Extract<Table[TableKey], { outputs: 'one' }>['name'];

/** The attributes argument: optional where a kernel has none. */
type AttrsArgument<N extends FusedKernelName> = keyof SpecOf<N>['attrs'] extends never ? [attrs?: FusedKernelAttrs<N>] : [attrs: FusedKernelAttrs<N>];

/** What an accelerator implements for the fused kernel `N`: tfjs's kernel function, with the inputs and attributes typed. */
export type FusedKernelFunc<N extends FusedKernelName> = (args: {
  inputs: FusedKernelInputs<N, tf.TensorInfo>;
  attrs: FusedKernelAttrs<N>;
  backend: {}; // as tfjs's KernelFunc types it
}) => N extends SingleOutputFusedKernelName ? tf.TensorInfo : tf.TensorInfo[];

/** Whether the active backend has the fused kernel `name` registered. */
export function hasFusedKernel(name: FusedKernelName): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined;
}

/** Runs a registered fused kernel with one output on the active backend (check {@link hasFusedKernel} first). */
export function runFusedKernel<N extends SingleOutputFusedKernelName>(name: N, inputs: FusedKernelInputs<N>, ...attrs: AttrsArgument<N>): tf.Tensor {
  return tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, (attrs[0] ?? {}) as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/** Runs a registered fused kernel with several outputs on the active backend (check {@link hasFusedKernel} first). */
export function runFusedKernelOutputs<N extends FusedKernelName>(name: N, inputs: FusedKernelInputs<N>, ...attrs: AttrsArgument<N>): tf.Tensor[] {
  const out = tf.engine().runKernel(name, inputs as unknown as tf.NamedTensorMap, (attrs[0] ?? {}) as unknown as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];
  return Array.isArray(out) ? out : [out];
}
