import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from './context.js';
import * as z from 'zod/mini';
import { configObject, parseConfig, textField, type SameType } from './config-schema.js';
import { ConfigError } from './errors.js';
import type { ParameterSet } from './parameters.js';
import type { LinearSite, SiteClaim } from './sites.js';
import type { ModelSpec } from './spec.js';

/**
 * The frozen weights of one linear site, read on demand (DoRA needs W's column norms). Both return tensors made in the
 * caller's scope (a `tf.tidy` disposes them); a model that fuses sites (GPT-2's `c_attn`) returns the site's slice.
 */
export interface LinearBase {
  /** W [d_in, d_out]. */
  kernel(): tf.Tensor2D;
  /** b [d_out], or undefined when the site has no bias. */
  bias(): tf.Tensor1D | undefined;
}

/**
 * `attn.q` … `ffn.out`: gets the site's input x [B, n, d_in], the frozen output y = x·W + b [B, n, d_out] and the
 * site's frozen weights (every model passes them; a direct call may leave them out when the hook does not read
 * them); returns the site's new output (LoRA: y + Δ; IA³: y ∘ l; DoRA: y rescaled by its magnitude).
 */
export type LinearHook = (x: tf.Tensor, y: tf.Tensor, ctx: ForwardContext, base?: LinearBase) => tf.Tensor;

/** `ffn.act`: gets the FFN's intermediate activation g [B, n, d_ff] (the input of `ffn.out`); returns the new g. */
export type ActivationHook = (g: tf.Tensor, ctx: ForwardContext) => tf.Tensor;

/** `attn.output` / `ffn.output`: a sequential adapter on a sub-layer's output h [B, n, d]; returns the new h. */
export type OutputHook = (h: tf.Tensor, ctx: ForwardContext) => tf.Tensor;

/** `ffn.parallel`: gets the FFN input x [B, n, d]; returns a term [B, n, d] the model adds to the FFN output. */
export type ParallelHook = (x: tf.Tensor, ctx: ForwardContext) => tf.Tensor;

/** What an `attn.supports` hook receives: the layer's per-head queries, keys and values. */
export interface SupportsInput {
  /** [B, H, n, p] queries, after any `attn.q` hook. */
  readonly q: tf.Tensor4D;
  /** [B, H, m, p] keys (with the KV cache, if any). */
  readonly k: tf.Tensor4D;
  /** [B, H, m, p] values (with the KV cache, if any). */
  readonly v: tf.Tensor4D;
  /** Absolute position of the first query (0 without a cache); query i sits at queryOffset + i. */
  readonly queryOffset: number;
  readonly ctx: ForwardContext;
}

/**
 * Extra supports for the kernel estimator of attention, merged into the same normalisation as the real keys.
 * Shared supports are the same for every query (prefix-tuning); per-query supports are one key and one value per
 * query (inducer-tuning).
 */
export interface AttentionSupports {
  /** Shared keys/values, [H, l, p] or [B, H, l, p]; never masked (every query sees them). */
  readonly shared?: { readonly keys: tf.Tensor; readonly values: tf.Tensor };
  /** One support per query. */
  readonly perQuery?: PerQuerySupport;
  /**
   * A term [B, n, d] added to the attention output after W_o and before its dropout, given the per-query support
   * weight λ [B, H, n] (after λ's dropout; undefined when there is no per-query support). This is where
   * inducer-tuning's extended value MLP (MLP_v̄) goes.
   */
  readonly afterOutput?: (lambda: tf.Tensor3D | undefined, ctx: ForwardContext) => tf.Tensor;
}

export interface PerQuerySupport {
  /** P_k, [B, H, n, p]: query i's own support key; its logit is ⟨Q_i, P_k,i⟩/√p. */
  readonly keys: tf.Tensor4D;
  /**
   * The support's value [B, H, n, p], in the sense of `mode`. Omitted: a zero value in `absolute` mode, or m = 0
   * in `residual` mode (then only λ is of use, e.g. to an `afterOutput` term).
   */
  readonly values?: tf.Tensor4D;
  /**
   * `residual` (inducer-tuning's default): the support's value is f(Q_i) + m_i, where f(Q_i) is ordinary attention,
   * so the output is f(Q_i) + λ_i·m_i (paper eq. 8). `absolute`: the value is `values` itself, so the ordinary part is
   * scaled by (1 − λ_i) (the gating variant).
   */
  readonly mode: 'residual' | 'absolute';
  /**
   * Reference quirk of the RoBERTa code: λ's softmax is taken before the additive padding mask is applied, so padded
   * keys count in λ's denominator. The causal mask still applies.
   */
  readonly lambdaIgnoresPaddingMask?: boolean;
}

export type SupportsHook = (input: SupportsInput) => AttentionSupports;

/** The hooks of one layer; a site left undefined is not touched. */
export interface LayerHooks {
  readonly linear?: Partial<Record<LinearSite, LinearHook>>;
  readonly supports?: SupportsHook;
  readonly attnOutput?: OutputHook;
  readonly ffnActivation?: ActivationHook;
  readonly ffnOutput?: OutputHook;
  readonly ffnParallel?: ParallelHook;
}

/**
 * Access to a model's frozen linear weights, in [in, out] layout (y = x·W + b), for merging. Ownership: the getters
 * return copies that the caller disposes; the setters copy their argument, which the caller keeps (and disposes).
 */
export interface LinearWeights {
  readonly spec: ModelSpec;
  /** A copy of W [in, out]; the caller owns it. */
  getLinearKernel(layer: number, site: LinearSite): tf.Tensor2D;
  /** Replaces W by a copy of `kernel`; the caller keeps ownership of `kernel`. */
  setLinearKernel(layer: number, site: LinearSite, kernel: tf.Tensor2D): void;
  /** A copy of b [out] (undefined when the site has no bias); the caller owns it. */
  getLinearBias(layer: number, site: LinearSite): tf.Tensor1D | undefined;
  /** Replaces b by a copy of `bias`; the caller keeps ownership of `bias`. */
  setLinearBias(layer: number, site: LinearSite, bias: tf.Tensor1D): void;
}

export interface InitOptions {
  /** Seed of every initialiser; a parameter's values depend on (seed, its name) only. Default 0. */
  readonly seed?: number;
}

/** A method's trainable state for one model spec. */
export interface MethodInstance {
  readonly method: PeftMethod;
  readonly spec: ModelSpec;
  readonly params: ParameterSet;
  /** The hooks for layer `layer` (0-based). */
  hooks(layer: number): LayerHooks;
  /** Positions the model shifts its position ids by (prefix-tuning on GPT-2 shifts by its length L). */
  readonly positionOffset?: number;
  /** Folds the method into the frozen weights (LoRA); afterwards `hooks` no longer apply it. */
  merge?(model: LinearWeights): void;
  /** Undoes `merge`. */
  unmerge?(model: LinearWeights): void;
  readonly merged?: boolean;
  /**
   * The tensors an adapter file stores, by file key. Defaults to `params.toRecord()`. LoRA maps to Hugging Face PEFT
   * names here. Returned tensors are owned by the caller if `owned` is true.
   */
  exportTensors?(): { tensors: Record<string, tf.Tensor>; owned: boolean };
  /** The inverse of `exportTensors`; `source` names the file in errors. */
  importTensors?(tensors: Record<string, tf.Tensor>, source: string): void;
  /**
   * The adapter as it is stored, when that is not what is trained (prefix-tuning trained through its
   * reparameterisation MLP stores its plain prefixes). Absent: the adapter is stored as trained.
   * `TunedModel.save` writes `stored.build()`, and `trainableParameters().stored` reports `stored.parameterCount`.
   */
  readonly stored?: StoredForm;
  dispose(): void;
}

/** A method instance's stored form, when it differs from what is trained (see {@link MethodInstance.stored}). */
export interface StoredForm {
  /** The parameters it holds, which inference needs and the paper's tables count, known without building it. */
  readonly parameterCount: number;
  /**
   * Builds it: a new instance of the method that the adapter file then describes (prefix-tuning: the same method with
   * `reparameterize: false`, the same supports exactly; a mix: the mix of its parts' stored forms). The caller disposes
   * it; disposing it never disposes the trained instance's variables.
   */
  build(): MethodInstance;
}

/** Parameters an instance's adapter file stores: its {@link MethodInstance.stored} count, else all it trains. */
export function storedParameterCount(instance: MethodInstance): number {
  return instance.stored ? instance.stored.parameterCount : instance.params.count();
}

/**
 * A PEFT method is a value: a type name, a validated, JSON-serialisable config, the sites it claims, and `init`.
 * It never imports a model.
 */
export interface PeftMethod<C extends object = object> {
  /** e.g. `lora`, `inducer`, `mix`. */
  readonly type: string;
  readonly config: Readonly<C>;
  readonly claims: readonly SiteClaim[];
  init(spec: ModelSpec, options?: InitOptions): MethodInstance;
  /** A one-line description for tables and logs. */
  describe(): string;
}

/** The serialised form of a method, as stored in adapter_config.json under `peft_method`. */
export interface MethodDescriptor {
  readonly type: string;
  readonly config: unknown;
}

/** A stored method (adapter_config.json's `peft_method`, a mix's part): its type, and its config, which that method's own schema checks. */
export const METHOD_DESCRIPTOR_SCHEMA = configObject({ type: textField('method type'), config: z.unknown() });

true satisfies SameType<z.output<typeof METHOD_DESCRIPTOR_SCHEMA>, MethodDescriptor>;

type Factory = (config: unknown) => PeftMethod;
const registry = new Map<string, Factory>();

/** Makes `type` loadable from an adapter file. Each method package registers itself when imported. */
export function registerMethodType(type: string, factory: Factory): void {
  registry.set(type, factory);
}

/** Rebuilds a method from its descriptor; an unknown type says which packages to import. */
export function methodFromDescriptor(descriptor: MethodDescriptor): PeftMethod {
  const d = parseConfig('peft_method', METHOD_DESCRIPTOR_SCHEMA, descriptor);
  const f = registry.get(d.type);
  if (!f) {
    throw new ConfigError(
      'peft_method.type',
      `unknown method type '${d.type}' (registered: ${[...registry.keys()].join(', ') || 'none'}); import the @peft package that provides it`,
    );
  }
  return f(d.config);
}

export function describeMethod(m: PeftMethod): MethodDescriptor {
  return { type: m.type, config: m.config };
}
