// Example 5: the kernel view of attention (docs/concepts.md). For one layer of GPT-2 we take the real queries, keys
// and values, add inducer-tuning's per-query supports, and compute attention twice with @peft/attention-kernel:
//   - explicitly, as a Nadaraya–Watson estimator o = D⁻¹·M·C over the augmented supports (paper eq. 7), and
//   - in the fast residual form o = f(q) + λ·m (paper eq. 8),
// then print λ_i, the weight each token's own inducer takes in the normalisation.
//   cd examples/05-kernel-view && npx tsx index.ts [kernel.svg]
import { writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { explicitKernelAttention, kernelAttention } from '@peft/attention-kernel';
import { EVAL_CONTEXT, ParameterSet, selectBackend, type MethodInstance, type ModelSpec, type PeftMethod, type SupportsInput } from '@peft/core';
import { inducer } from '@peft/inducer';
import { loadGpt2, loadGpt2Tokenizer, type Gpt2Model } from '@peft/models-gpt2-roberta';

export const TINY_GPT2 = fileURLToPath(new URL('../../test-fixtures/tiny-gpt2', import.meta.url));
export const TEXT = 'the cat sat on the mat';

/**
 * A method that changes nothing and keeps a copy of one layer's Q, K, V (each [1, H, n, p]) when the model calls its
 * `attn.supports` hook: any method sees exactly what the model's attention sees.
 */
function probe(layer: number, keep: (input: SupportsInput) => void): PeftMethod {
  return {
    type: 'probe',
    config: { layer },
    claims: [],
    describe: () => `probe of layer ${layer}`,
    init: (spec: ModelSpec): MethodInstance => ({
      method: probe(layer, keep),
      spec,
      params: new ParameterSet(),
      hooks: (l) => (l === layer ? { supports: (input) => (keep(input), {}) } : {}),
      dispose: () => {},
    }),
  };
}

function captureQkv(model: Gpt2Model, ids: number[], layer: number): { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
  let qkv: { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } | undefined;
  model.useMethod(probe(layer, ({ q, k, v }) => (qkv = { q: tf.keep(tf.clone(q)), k: tf.keep(tf.clone(k)), v: tf.keep(tf.clone(v)) })).init(model.spec));
  const inputIds = tf.tensor2d([ids], [1, ids.length], 'int32');
  tf.dispose(model.forward({ inputIds }).hidden);
  inputIds.dispose();
  model.useMethod(null);
  return qkv!;
}

export interface KernelViewResult {
  readonly tokens: readonly string[];
  /** λ [H][n] of the inducer, per head and token. */
  readonly lambda: number[][];
  /** max |explicit D⁻¹MC − fast f(q) + λ·m| over every output entry (eq. 7 = eq. 8). */
  readonly eq7vsEq8: number;
  /** Head 0's normalised kernel D⁻¹M [n][n + n]: each query's own inducer (diagonal block), then the keys. */
  readonly weights: number[][];
  /** Row sums of D⁻¹M for head 0 (each is 1: the weights of an estimator). */
  readonly rowSums: number[];
  readonly table: string;
  readonly svg: string;
}

/** An SVG heat map of head 0's normalised kernel D⁻¹M: query rows, support columns (each token's inducer, then keys). */
export function kernelSvg(weights: number[][], tokens: readonly string[]): string {
  const n = tokens.length;
  const cell = 22;
  const left = 90;
  const top = 110;
  const label = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${Math.max(left + cell * 2 * n + 20, 600)}" height="${top + cell * n + 20}" font-family="monospace" font-size="11">`,
    `<text x="4" y="14">head 0: D⁻¹M (rows: queries; columns: each query's own inducer, then the keys)</text>`,
  ];
  tokens.forEach((t, i) => {
    parts.push(`<text x="${left - 4}" y="${top + cell * i + 15}" text-anchor="end">${label(t)}</text>`);
    for (const [block, name] of [[0, 'P'], [n, '']] as const) {
      const x = left + cell * (block + i) + 15;
      parts.push(`<text transform="translate(${x},${top - 4}) rotate(-60)">${label(name ? `${name}(${t})` : t)}</text>`);
    }
  });
  weights.forEach((row, i) =>
    row.forEach((w, j) => {
      const shade = Math.round(255 * (1 - Math.min(1, w)));
      parts.push(`<rect x="${left + cell * j}" y="${top + cell * i}" width="${cell - 1}" height="${cell - 1}" fill="rgb(${shade},${shade},255)"><title>${w.toFixed(3)}</title></rect>`);
    }),
  );
  parts.push('</svg>');
  return parts.join('\n');
}

export async function main(options: { modelDir?: string; layer?: number; svgPath?: string; log?: (line: string) => void } = {}): Promise<KernelViewResult> {
  const log = options.log ?? console.log;
  await selectBackend();
  const dir = options.modelDir ?? TINY_GPT2;
  const layer = options.layer ?? 0;
  const model = await loadGpt2(dir);
  const tokenizer = await loadGpt2Tokenizer(dir);
  const ids = tokenizer.encode(TEXT);
  const tokens = tokenizer.tokenize(TEXT).map((t) => t.replace(/^Ġ/, '␣'));
  const { q, k, v } = captureQkv(model, ids, layer); // [1, H, n, p]

  // A freshly initialised inducer (r_k 5, r_v 12): its support keys P_k = Q + MLP_k(Q) sit next to the queries. Without
  // the value extension its value m = MLP_v(Q) is per head, so both forms below give the same head outputs.
  const instance = inducer({ keyRank: 5, valueRank: 12, valueExtension: false }).init(model.spec, { seed: 0 });
  const supports = instance.hooks(layer).supports!({ q, k, v, queryOffset: 0, ctx: EVAL_CONTEXT });
  const perQuery = supports.perQuery!;

  const fast = kernelAttention({ q, k, v, causal: true, supports: { perQuery } }); // f(q) + λ·m, λ from a logsumexp
  const explicit = explicitKernelAttention({ q, k, v, causal: true, supports: { perQuery } }); // D⁻¹·M·C, M materialised
  const eq7vsEq8 = tf.tidy(() => tf.max(tf.abs(tf.sub(fast.output, explicit.output))).dataSync()[0]!);
  const lambda = (fast.lambda!.arraySync() as number[][][])[0]!; // [H][n]
  const weights = tf.tidy(() => {
    const m = tf.slice(explicit.kernel, [0, 0, 0, 0], [1, 1, -1, -1]); // head 0: [1, 1, n, n + m]
    const d = tf.slice(explicit.normaliser, [0, 0, 0], [1, 1, -1]); // [1, 1, n]
    return (tf.div(m, tf.expandDims(d, -1)).arraySync() as number[][][][])[0]![0]!;
  });
  const rowSums = weights.map((row) => row.reduce((a, w) => a + w, 0));

  const heads = lambda.length;
  const header = ['i', 'token', ...Array.from({ length: heads }, (_, h) => `λ head ${h}`), 'mean λ', ''];
  const rows = tokens.map((t, i) => {
    const mean = lambda.reduce((a, row) => a + row[i]!, 0) / heads;
    return [String(i), t, ...lambda.map((row) => row[i]!.toFixed(3)), mean.toFixed(3), '█'.repeat(Math.round(mean * 20))];
  });
  const widths = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j]!.length)));
  const fmt = (r: string[]) => r.map((c, j) => (j === 1 || j === r.length - 1 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ').trimEnd();
  const table = [fmt(header), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt)].join('\n');

  log(`"${TEXT}": ${ids.length} tokens, layer ${layer} of the tiny GPT-2 (${heads} heads, p = ${model.spec.headDim})`);
  log('λ_i = κ(q_i, P_k,i) / (κ(q_i, P_k,i) + Σ_j≤i κ(q_i, k_j)): the share of the normalisation taken by token i\'s own inducer');
  log(table);
  log(`eq. 7 (explicit D⁻¹MC) vs eq. 8 (f(q) + λ·m): max |difference| ${eq7vsEq8.toExponential(2)}`);
  const svg = kernelSvg(weights, tokens);
  if (options.svgPath) {
    await writeFile(options.svgPath, svg);
    log(`kernel heat map written to ${options.svgPath}`);
  }

  tf.dispose([q, k, v, fast.output, fast.lambda!, explicit.output, explicit.kernel, explicit.normaliser, explicit.values]);
  if (explicit.lambda) explicit.lambda.dispose();
  tf.dispose([perQuery.keys, ...(perQuery.values ? [perQuery.values] : [])]);
  instance.dispose();
  model.dispose();
  return { tokens, lambda, eq7vsEq8, weights, rowSums, table, svg };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main({ svgPath: process.argv[2] });
