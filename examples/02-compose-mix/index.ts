// Example 2: one method made of three — inducer-tuning + LoRA on W_q + a parallel FFN adapter — and its parameters.
//   cd examples/02-compose-mix && npx tsx index.ts
import { fileURLToPath, pathToFileURL } from 'node:url';
import { attach, selectBackend, type ModelSpec, type ParameterRow, type PeftMethod } from '@peft/core';
import { adapter } from '@peft/adapter';
import { inducer } from '@peft/inducer';
import { lora } from '@peft/lora';
import { mix } from '@peft/mam';
import { loadGpt2 } from '@peft/models-gpt2-roberta';

export const TINY_GPT2 = fileURLToPath(new URL('../../test-fixtures/tiny-gpt2', import.meta.url));

/** GPT-2 small's shape: a method only needs the spec to create its parameters, not the 124 M weights. */
export const GPT2_SMALL_SPEC: ModelSpec = {
  architecture: 'gpt2', numLayers: 12, hiddenSize: 768, numHeads: 12, headDim: 64, intermediateSize: 3072, vocabSize: 50257,
};

/** The method of the root README's "Composing methods": the paper's inducer-lora plus a "Lin" FFN adapter. */
export function composedMethod(): PeftMethod {
  return mix(
    inducer({ keyRank: 5, valueRank: 12 }), // per-query inducers: P_k = Q + MLP_k(Q); the value MLP acts after W_o
    lora({ sites: ['attn.q'], rank: 24, alpha: 32, dropout: 0.1, flavour: 'ka' }), // KA's LoRA-Q (with its scaled bias)
    adapter({ placement: 'ffn-parallel', bottleneck: 42, layerNormBefore: true }), // beside the FFN, input ln_2(h)
  );
}

/** One row per parameter kind: `inducer0.layers.*.inducer.key.A` with its shape and how many layers have it. */
export interface TableRow {
  readonly part: string;
  readonly parameter: string;
  readonly shape: string;
  readonly layers: number;
  readonly count: number;
}

export function groupRows(rows: readonly ParameterRow[]): TableRow[] {
  const groups = new Map<string, { part: string; parameter: string; shape: string; layers: number; count: number }>();
  for (const r of rows) {
    const [part, ...rest] = r.name.split('.'); // 'inducer0', 'layers', '3', 'inducer', 'key', 'A'
    const parameter = rest.join('.').replace(/^layers\.\d+\./, '');
    const shape = `[${r.shape.join(', ')}]`;
    const key = `${part}|${parameter}|${shape}`;
    const g = groups.get(key) ?? { part: part!, parameter, shape, layers: 0, count: 0 };
    g.layers += 1;
    g.count += r.size;
    groups.set(key, g);
  }
  return [...groups.values()];
}

/** A plain-text table with right-aligned numbers. */
export function formatTable(header: readonly string[], body: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...body].map((row) => row.map((c) => (typeof c === 'number' ? c.toLocaleString('en-US') : c)));
  const widths = header.map((_, j) => Math.max(...cells.map((row) => row[j]!.length)));
  const numeric = header.map((_, j) => body.every((row) => typeof row[j] === 'number' || row[j] === ''));
  const line = (row: readonly string[]) => row.map((c, j) => (numeric[j] ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export interface ComposeResult {
  readonly table: string;
  readonly rows: readonly TableRow[];
  readonly total: number;
  readonly percentOfBase: number;
  /** The same method created for GPT-2 small's shape (no weights needed). */
  readonly gpt2SmallTotal: number;
}

export async function main(options: { modelDir?: string; log?: (line: string) => void } = {}): Promise<ComposeResult> {
  const log = options.log ?? console.log;
  await selectBackend();
  const model = await loadGpt2(options.modelDir ?? TINY_GPT2);
  const method = composedMethod();
  const tuned = attach(model, method, { seed: 123 });
  const { rows: raw, total, percentOfBase } = tuned.trainableParameters();
  const rows = groupRows(raw);
  const table = formatTable(
    ['part', 'parameter', 'shape', 'layers', 'count'],
    [...rows.map((r) => [r.part, r.parameter, r.shape, r.layers, r.count]), ['total', '', '', '', total]],
  );
  log(method.describe());
  log(table);
  log(`${total.toLocaleString('en-US')} trainable parameters, ${percentOfBase.toFixed(2)} % of the tiny GPT-2`);

  // The same mix on GPT-2 small: init() takes only a spec, so no checkpoint is needed to count.
  const big = method.init(GPT2_SMALL_SPEC, { seed: 0 });
  const gpt2SmallTotal = big.params.rows().reduce((a, r) => a + r.size, 0);
  big.dispose();
  log(`on GPT-2 small the same mix has ${gpt2SmallTotal.toLocaleString('en-US')} (${((100 * gpt2SmallTotal) / 124_439_808).toFixed(2)} % of 124,439,808)`);

  tuned.dispose();
  model.dispose();
  return { table, rows, total, percentOfBase, gpt2SmallTotal };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main({ modelDir: process.argv[2] });
