import * as tf from '@tensorflow/tfjs-core';
import {
  AdapterMismatchError,
  ConfigError,
  MissingTensorError,
  TensorShapeMismatchError,
  sameShape,
  type LinearSite,
  type ModelSpec,
  valuesAtHand,
} from '@peft/core';
import { alphaAt, loraLayers, rankAt, scalingAt, type LoraConfig } from './config.js';
import type { LoraFactors } from './delta.js';
import { hfFacts, hfKey, hfLayerPattern, hfModules, targetModulesRegex, type HfModule } from './hf-modules.js';
import { loraParamName, siteDims } from './sites.js';

interface FactorSource {
  factors(layer: number, site: LinearSite): LoraFactors;
  readonly params: { assign(values: Record<string, tf.Tensor>, source?: string): void };
}

/** How one HF module of one layer holds the LoRA of the sites it covers. */
interface ModulePlan {
  readonly layer: number;
  readonly module: HfModule;
  /** The targeted sites of this module, in column order. */
  readonly present: readonly LinearSite[];
  /** HF rank: the sum of the present sites' ranks (block structure for c_attn). */
  readonly rank: number;
  /** HF lora_alpha, chosen so that HF's α/r (α/√r with rsLoRA) equals the first present site's scaling. */
  readonly alpha: number;
  /**
   * Per present site: column offset in the HF rank, row offset and rows (the site's output width) in the HF output,
   * and the factor its B block carries.
   */
  readonly blocks: readonly { site: LinearSite; col: number; row: number; rows: number; rank: number; bScale: number }[];
  readonly dIn: number;
  readonly dOut: number;
}

/**
 * Maps this method's sites onto HF modules, layer by layer. A fused module (GPT-2 c_attn) gets A = [A_q; A_v] (rows
 * stacked) and a block B whose rows for q hold [B_q, 0], for k zeros, for v [0, B_v]: then x·Aᵀ·Bᵀ puts x·A_qᵀ·B_qᵀ in
 * the q columns and x·A_vᵀ·B_vᵀ in the v columns, exactly. HF scales the whole module by one α/R (α/√R with rsLoRA);
 * a site whose own scaling differs from the first site's has its B block multiplied by the ratio.
 */
function modulePlans(config: LoraConfig, spec: ModelSpec): ModulePlan[] {
  const plans: ModulePlan[] = [];
  const rslora = config.rslora === true;
  for (const layer of loraLayers(config, spec.numLayers)) {
    for (const module of hfModules(spec)) {
      const present = module.sites.filter((s) => config.sites.includes(s));
      if (present.length === 0) continue;
      const ref = present[0]!;
      const sRef = scalingAt(config, layer, ref);
      let col = 0;
      const blocks = present.map((site) => {
        const r = rankAt(config, layer, site);
        const s = scalingAt(config, layer, site);
        // the site's first row in the module's output: the widths of the sites before it (q | k | v may differ in width
        // under grouped-query attention)
        const row = module.sites.slice(0, module.sites.indexOf(site)).reduce((n, x) => n + siteDims(spec, x)[1], 0);
        const block = { site, col, row, rows: siteDims(spec, site)[1], rank: r, bScale: s === sRef ? 1 : s / sRef };
        col += r;
        return block;
      });
      const [dIn] = siteDims(spec, ref);
      const dOut = module.sites.reduce((n, s) => n + siteDims(spec, s)[1], 0);
      // α_HF such that α_HF/R (α_HF/√R) equals the first site's scaling; exact when R is a multiple of its r
      const single = present.length === 1;
      const alpha = single ? alphaAt(config, layer, ref) : rslora ? sRef * Math.sqrt(col) : (alphaAt(config, layer, ref) * col) / rankAt(config, layer, ref);
      plans.push({ layer, module, present, rank: col, alpha, blocks, dIn, dOut });
    }
  }
  return plans;
}

/** The method's tensors under Hugging Face PEFT keys (new tensors, owned by the caller). */
export function exportHuggingFaceTensors(src: FactorSource, config: LoraConfig, spec: ModelSpec): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  const plans = modulePlans(config, spec);
  try {
    {
      for (const plan of plans) {
        const layer = plan.layer;
        const { a, b } = tf.tidy(() => {
          if (plan.module.sites.length === 1) {
            const f = src.factors(layer, plan.present[0]!);
            return { a: tf.clone(f.a), b: tf.clone(f.b) };
          }
          const a = tf.concat(plan.blocks.map((bl) => src.factors(layer, bl.site).a), 0); // [R, d_in]
          const rows = plan.module.sites.map((site) => {
            const bl = plan.blocks.find((x) => x.site === site);
            const [, d] = siteDims(spec, site);
            if (!bl) return tf.zeros([d, plan.rank]);
            const bs = src.factors(layer, site).b; // [d, r]
            const scaled = bl.bScale === 1 ? bs : tf.mul(bs, bl.bScale);
            return tf.pad(scaled, [[0, 0], [bl.col, plan.rank - bl.col - bl.rank]]);
          });
          return { a, b: tf.concat(rows, 0) }; // B: [Σ d, R]
        });
        out[hfKey(spec, layer, plan.module, 'lora_A')] = a;
        out[hfKey(spec, layer, plan.module, 'lora_B')] = b;
      }
    }
  } catch (e) {
    tf.dispose(Object.values(out));
    throw e;
  }
  return out;
}

/**
 * The inverse of {@link exportHuggingFaceTensors}: reads HF-keyed tensors into the method's variables. Every key
 * must be present with its shape, no other key may be; a fused module's off-block entries must be zero (else the
 * file holds a LoRA this config cannot express: load it with `importHuggingFaceLora`).
 */
export function importHuggingFaceTensors(
  dst: FactorSource,
  config: LoraConfig,
  spec: ModelSpec,
  tensors: Record<string, tf.Tensor>,
  source: string,
): void {
  const plans = modulePlans(config, spec);
  const expected = new Set<string>();
  {
    for (const plan of plans) {
      const layer = plan.layer;
      for (const [part, shape] of [['lora_A', [plan.rank, plan.dIn]], ['lora_B', [plan.dOut, plan.rank]]] as const) {
        const key = hfKey(spec, layer, plan.module, part);
        expected.add(key);
        const t = tensors[key];
        if (!t) throw new MissingTensorError(source, key);
        if (!sameShape(t.shape, shape)) throw new TensorShapeMismatchError(source, key, shape, t.shape);
      }
    }
  }
  for (const key of Object.keys(tensors)) {
    if (!expected.has(key)) throw new ConfigError(key, `${source} holds a tensor this LoRA config does not have`);
  }
  const values: Record<string, tf.Tensor> = {};
  try {
    {
      for (const plan of plans) {
        const layer = plan.layer;
        const kA = hfKey(spec, layer, plan.module, 'lora_A');
        const kB = hfKey(spec, layer, plan.module, 'lora_B');
        const a = tensors[kA]!;
        const b = tensors[kB]!;
        if (plan.module.sites.length > 1) checkOffBlocksZero(b, plan, kB, source);
        for (const bl of plan.blocks) {
          const [, d] = siteDims(spec, bl.site);
          values[loraParamName(layer, bl.site, 'lora_A')] = tf.tidy(() => tf.cast(tf.slice(a, [bl.col, 0], [bl.rank, -1]), 'float32'));
          values[loraParamName(layer, bl.site, 'lora_B')] = tf.tidy(() => {
            const blk = tf.cast(tf.slice(b, [bl.row, bl.col], [d, bl.rank]), 'float32');
            return bl.bScale === 1 ? blk : tf.div(blk, bl.bScale);
          });
        }
      }
    }
    dst.params.assign(values, source);
  } finally {
    tf.dispose(Object.values(values));
  }
}

/** B of a fused module [dOut, rank], read from the file (its values are at hand on every backend), is zero off its blocks. */
function checkOffBlocksZero(b: tf.Tensor, plan: ModulePlan, key: string, source: string): void {
  const mask = new Uint8Array(plan.dOut * plan.rank).fill(1);
  for (const bl of plan.blocks) {
    for (let i = bl.row; i < bl.row + bl.rows; i++) mask.fill(0, i * plan.rank + bl.col, i * plan.rank + bl.col + bl.rank);
  }
  const values = valuesAtHand(b);
  if (!values) return;
  let off = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) off = Math.max(off, Math.abs(values[i]!));
  if (off !== 0) {
    throw new AdapterMismatchError(
      source,
      key,
      `zeros outside the ${plan.present.join('/')} blocks`,
      `entries up to ${off} there (a fused LoRA: load it with importHuggingFaceLora)`,
    );
  }
}

/** Hugging Face PEFT LoraConfig fields (adapter_config.json) describing this method on `spec`. */
export function huggingFaceConfigFields(config: LoraConfig, spec: ModelSpec): Record<string, unknown> {
  const plans = modulePlans(config, spec);
  const first = plans[0]!;
  // rank_pattern / alpha_pattern: a module's suffix key when every layer agrees, else one layer-specific key per
  // layer; get_pattern_key takes the first key that matches, so layer-specific keys come first
  const layerKeys: [string, ModulePlan][] = [];
  const moduleKeys: [string, ModulePlan][] = [];
  for (const module of hfModules(spec)) {
    const mine = plans.filter((p) => p.module === module);
    if (mine.length === 0) continue;
    if (mine.every((p) => p.rank === mine[0]!.rank && p.alpha === mine[0]!.alpha)) moduleKeys.push([module.pattern, mine[0]!]);
    else for (const p of mine) layerKeys.push([`${hfLayerPattern(spec, p.layer)}${module.name.replace(/\./g, '\\.')}`, p]);
  }
  const rankPattern: Record<string, number> = {};
  const alphaPattern: Record<string, number> = {};
  for (const [key, p] of [...layerKeys, ...moduleKeys]) {
    rankPattern[key] = p.rank;
    alphaPattern[key] = p.alpha;
  }
  const facts = hfFacts(spec);
  const defaultTask = facts.taskType;
  const layers = config.layers ? [...config.layers] : undefined;
  return {
    peft_type: 'LORA',
    task_type: config.hf?.taskType === undefined ? defaultTask : config.hf.taskType,
    base_model_name_or_path: config.hf?.baseModelNameOrPath ?? null,
    revision: null,
    inference_mode: true,
    r: first.rank,
    lora_alpha: first.alpha,
    lora_dropout: config.dropout,
    // a regex (re.fullmatch) naming exactly the modules and layers: PEFT refuses layers_to_transform beside a regex
    target_modules: targetModulesRegex(spec, [...new Set(plans.map((p) => p.module))], layers),
    exclude_modules: null,
    fan_in_fan_out: facts.fanInFanOut,
    bias: 'none',
    use_rslora: config.rslora === true,
    use_dora: false,
    modules_to_save: null,
    init_lora_weights: true,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: rankPattern,
    alpha_pattern: alphaPattern,
  };
}
