import * as tf from '@tensorflow/tfjs-core';
import {
  AdapterMismatchError,
  ConfigError,
  HF_MODEL_KEY_PREFIX,
  MissingTensorError,
  TensorShapeMismatchError,
  requireSiteShape,
  sameShape,
  valuesAtHand,
  type HfModuleFacts,
  type LinearSite,
  type ModelSpec,
} from '@peft/core';
import { linearTargets, type Ia3Config, type Ia3Target } from './config.js';
import { ia3ParamName } from './parameters.js';

/**
 * How one Hugging Face module holds IA³ vectors. PEFT scales a module's OUTPUT (vector [out, 1]), or, for the modules
 * of `feedforward_modules`, its INPUT (vector [1, in]). @peft's `ffn.act` (the input of `ffn.out`) is the second kind
 * on the module that holds `ffn.out`; every linear site target is the first kind on the module that holds the site. A
 * fused module (GPT-2's c_attn = q | k | v) gets one vector over all its columns: the parts of sites this config does
 * not target are written as ones (no scaling), and must be ones when read back.
 */
export interface ModulePlan {
  readonly module: HfModuleFacts;
  readonly feedforward: boolean;
  /** The vector's pieces in order: a target's vector, or ones (`target` undefined) for a site the config leaves alone. */
  readonly parts: readonly { readonly site: LinearSite; readonly target?: Ia3Target; readonly size: number }[];
  /** The vector's length. */
  readonly size: number;
}

/** The module plans of `config` on `spec`, or why the config has no PEFT layout there. */
export function hfPlans(config: Ia3Config, spec: ModelSpec): { plans: ModulePlan[] } | { reason: string } {
  const hf = spec.hf;
  if (!hf) return { reason: `the ${spec.architecture} model spec carries no Hugging Face facts (spec.hf)` };
  const output = new Map<HfModuleFacts, Set<LinearSite>>();
  for (const site of linearTargets(config)) {
    const module = hf.modules.find((m) => m.sites.includes(site));
    if (!module) return { reason: `no Hugging Face module of a ${spec.architecture} model holds '${site}'` };
    const set = output.get(module) ?? new Set<LinearSite>();
    set.add(site);
    output.set(module, set);
  }
  let feedforward: HfModuleFacts | undefined;
  if (config.targets.includes('ffn.act')) {
    feedforward = hf.modules.find((m) => m.sites.includes('ffn.out'));
    if (!feedforward) return { reason: `no Hugging Face module of a ${spec.architecture} model holds 'ffn.out', whose input 'ffn.act' is` };
    if (feedforward.sites.length !== 1) return { reason: `'${feedforward.name}' fuses 'ffn.out' with other sites: scaling its input would scale theirs` };
    if (output.has(feedforward)) {
      return { reason: `'ffn.act' and 'ffn.out' both fall on '${feedforward.name}': PEFT scales a module's input or its output, not both` };
    }
  }
  const plans: ModulePlan[] = [];
  for (const module of hf.modules) {
    if (module === feedforward) {
      const size = requireSiteShape(spec, 'ffn.out').inFeatures;
      plans.push({ module, feedforward: true, parts: [{ site: 'ffn.out', target: 'ffn.act', size }], size });
      continue;
    }
    const targeted = output.get(module);
    if (!targeted) continue;
    const parts = module.sites.map((site) => ({ site, size: requireSiteShape(spec, site).outFeatures, ...(targeted.has(site) ? { target: site } : {}) }));
    plans.push({ module, feedforward: false, parts, size: parts.reduce((n, p) => n + p.size, 0) });
  }
  return { plans };
}

/** The plans, or a {@link ConfigError} saying why there are none. */
export function requireHfPlans(config: Ia3Config, spec: ModelSpec): ModulePlan[] {
  const r = hfPlans(config, spec);
  if ('reason' in r) throw new ConfigError('ia3', `no Hugging Face PEFT layout: ${r.reason}`);
  return r.plans;
}

/** PEFT's key of a module's vector: `base_model.model.transformer.h.3.attn.c_attn.ia3_l`. */
export function hfIa3Key(spec: ModelSpec, layer: number, module: HfModuleFacts): string {
  return `${HF_MODEL_KEY_PREFIX}${spec.hf!.layersPath}.${layer}.${module.name}.ia3_l`;
}

/** PEFT's shape of a module's vector: [out, 1], or [1, in] for a feedforward module. */
export function hfIa3Shape(plan: ModulePlan): [number, number] {
  return plan.feedforward ? [1, plan.size] : [plan.size, 1];
}

interface VectorSource {
  readonly params: { get(name: string): tf.Variable; assign(values: Record<string, tf.Tensor>, source?: string): void };
}

/** The method's vectors under PEFT keys and shapes (new tensors, owned by the caller). */
export function exportHuggingFaceTensors(src: VectorSource, plans: readonly ModulePlan[], spec: ModelSpec): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (let layer = 0; layer < spec.numLayers; layer++) {
    for (const plan of plans) {
      out[hfIa3Key(spec, layer, plan.module)] = tf.tidy(() => {
        const pieces = plan.parts.map((p) => (p.target ? src.params.get(ia3ParamName(layer, p.target)) : tf.ones([p.size])));
        return tf.reshape(pieces.length === 1 ? tf.clone(pieces[0]!) : tf.concat(pieces, 0), hfIa3Shape(plan));
      });
    }
  }
  return out;
}

/**
 * The inverse of {@link exportHuggingFaceTensors}: every key present with PEFT's shape, no other; the parts of a fused
 * vector that this config does not target must be exactly 1 (else the file scales a site this config leaves alone:
 * `importHuggingFaceIa3` reads it with every site of the module as a target).
 */
export function importHuggingFaceTensors(
  dst: VectorSource,
  plans: readonly ModulePlan[],
  spec: ModelSpec,
  tensors: Record<string, tf.Tensor>,
  source: string,
): void {
  const expected = new Set<string>();
  for (let layer = 0; layer < spec.numLayers; layer++) {
    for (const plan of plans) {
      const key = hfIa3Key(spec, layer, plan.module);
      expected.add(key);
      const t = tensors[key];
      if (!t) throw new MissingTensorError(source, key);
      if (!sameShape(t.shape, hfIa3Shape(plan))) throw new TensorShapeMismatchError(source, key, hfIa3Shape(plan), t.shape);
    }
  }
  for (const key of Object.keys(tensors)) {
    if (!expected.has(key)) throw new ConfigError(key, `${source} holds a tensor this IA³ config does not have`, { kind: 'data' });
  }
  const values: Record<string, tf.Tensor> = {};
  try {
    for (let layer = 0; layer < spec.numLayers; layer++) {
      for (const plan of plans) {
        const key = hfIa3Key(spec, layer, plan.module);
        const flat = tf.reshape(tensors[key]!, [plan.size]);
        try {
          let offset = 0;
          for (const p of plan.parts) {
            if (p.target) values[ia3ParamName(layer, p.target)] = tf.tidy(() => tf.cast(tf.slice(flat, [offset], [p.size]), 'float32'));
            else checkOnes(flat, offset, p.size, key, p.site, source);
            offset += p.size;
          }
        } finally {
          flat.dispose();
        }
      }
    }
    dst.params.assign(values, source);
  } finally {
    tf.dispose(Object.values(values));
  }
}

/** The slice [offset, offset + size) of a file's vector is all ones (the site is not scaled). */
function checkOnes(flat: tf.Tensor, offset: number, size: number, key: string, site: LinearSite, source: string): void {
  const values = valuesAtHand(flat); // a file's values are at hand on every backend
  if (!values) return;
  let worst = 0;
  for (let i = offset; i < offset + size; i++) worst = Math.max(worst, Math.abs(values[i]! - 1));
  if (worst !== 0) {
    throw new AdapterMismatchError(
      source,
      key,
      `ones in the '${site}' part (this IA³ config does not scale '${site}')`,
      `entries up to ${worst} away from 1 there (the file scales '${site}': read it with importHuggingFaceIa3, which targets every site of the module)`,
    );
  }
}

/** `(?:.*\.)?transformer\.h\.\d+\.(?:attn\.c_attn|mlp\.c_proj)`: PEFT's `re.fullmatch` regex naming exactly these modules. */
function modulesRegex(spec: ModelSpec, modules: readonly HfModuleFacts[]): string {
  const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return `(?:.*\\.)?${esc(spec.hf!.layersPath)}\\.\\d+\\.(?:${modules.map((m) => esc(m.name)).join('|')})`;
}

/** Hugging Face PEFT's IA3Config fields (adapter_config.json) describing the method on `spec`. */
export function huggingFaceConfigFields(config: Ia3Config, plans: readonly ModulePlan[], spec: ModelSpec): Record<string, unknown> {
  const ff = plans.filter((p) => p.feedforward).map((p) => p.module);
  return {
    peft_type: 'IA3',
    task_type: config.hf?.taskType === undefined ? spec.hf!.taskType : config.hf.taskType,
    base_model_name_or_path: config.hf?.baseModelNameOrPath ?? null,
    revision: null,
    inference_mode: true,
    target_modules: modulesRegex(spec, plans.map((p) => p.module)),
    exclude_modules: null,
    // a regex (re.fullmatch) as well; none: an empty list, since null would make PEFT fill in its per-model default
    feedforward_modules: ff.length ? modulesRegex(spec, ff) : [],
    fan_in_fan_out: spec.hf!.fanInFanOut,
    modules_to_save: null,
    init_ia3_weights: true,
  };
}
