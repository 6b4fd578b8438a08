// `npm run docs:options`: writes the docs' tables of settings from their schemas (the one definition of each), between
// `<!-- options:NAME -->` and `<!-- /options:NAME -->` markers: each method's config fields in its README, and
// `peft train`'s options in docs/recipes.md. `--check` writes nothing and exits 1 when a table differs from its schema
// (docs/options-tables.test.ts runs the same check in `npm test`, on the sources). The script reads the built packages
// (run `npm run build` first).
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fieldDoc, type Schema } from '@peft/core';
import { ADAPTER_SCHEMA } from '@peft/adapter';
import { IA3_SCHEMA } from '@peft/ia3';
import { INDUCER_SCHEMA } from '@peft/inducer';
import { LORA_SCHEMA } from '@peft/lora';
import { PREFIX_SCHEMA } from '@peft/prefix';
import { trainOptionInfos } from '@peft/recipes';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A value as the docs write it in code: `'relu'`, `['attn.q', 'attn.v']`, `1e-5`. */
function code(v: unknown): string {
  const show = (x: unknown): string => (typeof x === 'string' ? `'${x}'` : Array.isArray(x) ? `[${x.map(show).join(', ')}]` : typeof x === 'number' && x !== 0 && Math.abs(x) < 1e-3 ? x.toExponential().replace(/e-(\d)$/, 'e-$1') : String(x));
  return `\`${show(v)}\``;
}

/** A table cell: pipes escaped, and `<` outside code spans (`runs/<task>` would read as an HTML tag). */
const cell = (s: string): string =>
  s
    .split('`')
    .map((part, i) => (i % 2 ? part : part.replace(/</g, '\\<')))
    .join('`')
    .replace(/\|/g, '\\|')
    .replace(/\n/g, ' ');

/** A markdown table of a header and rows. */
const table = (head: string[], rows: string[][]): string =>
  [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');

/** The fields of an object schema, through the checks and transforms around it. */
function shapeOf(schema: Schema): Record<string, Schema> {
  let s = schema as unknown as { _zod: { def: { type: string; in?: unknown; shape?: Record<string, Schema> } } };
  while (s._zod.def.type === 'pipe') s = s._zod.def.in as typeof s;
  return s._zod.def.shape!;
}

/** A method config's table: field, accepted values, default, reference values (where the schema gives them), meaning. */
export function configTable(schema: Schema): string {
  const fields = Object.entries(shapeOf(schema)).map(([name, f]) => ({ name, doc: fieldDoc(f) }));
  const withReference = fields.some((f) => f.doc.reference);
  const head = ['field', 'accepts', 'default', ...(withReference ? ['paper / reference'] : []), 'meaning'];
  const rows = fields.map(({ name, doc }) => [
    `\`${name}\``,
    doc.expects ?? '',
    doc.defaultText ?? (doc.default !== undefined ? code(doc.default) : '—'),
    ...(withReference ? [doc.reference ?? ''] : []),
    doc.description ?? '',
  ]);
  return table(head, rows);
}

/** `peft train`'s options: flag, value, default, meaning (as `--help` says them). */
export function trainOptionsTable(): string {
  const head = ['option', 'value', 'default', 'meaning'];
  const rows = trainOptionInfos().map((o) => [
    `\`--${o.flag}${o.isFlag ? '' : ` <${o.meta.placeholder ?? 'value'}>`}\``,
    o.isFlag ? 'flag' : `${o.meta.expects ?? 'text'}${o.meta.required ? ' (required)' : ''}`,
    o.meta.required ? '—' : (o.meta.defaultText ?? '—'),
    o.meta.description ?? '',
  ]);
  return table(head, rows);
}

/** Each generated table: the file it is in (from the repository root), its marker name and its text. */
export function generatedTables(): { file: string; name: string; table: string }[] {
  return [
    { file: 'packages/inducer/README.md', name: 'inducer', table: configTable(INDUCER_SCHEMA) },
    { file: 'packages/lora/README.md', name: 'lora', table: configTable(LORA_SCHEMA) },
    { file: 'packages/adapter/README.md', name: 'adapter', table: configTable(ADAPTER_SCHEMA) },
    { file: 'packages/prefix/README.md', name: 'prefix', table: configTable(PREFIX_SCHEMA) },
    { file: 'packages/ia3/README.md', name: 'ia3', table: configTable(IA3_SCHEMA) },
    { file: 'docs/recipes.md', name: 'train', table: trainOptionsTable() },
  ];
}

/** `text` with the table between the markers of `name` replaced. */
export function withTable(text: string, name: string, table: string, file: string): string {
  const start = `<!-- options:${name} -->`;
  const end = `<!-- /options:${name} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < i) throw new Error(`${file}: no ${start} … ${end} markers`);
  return `${text.slice(0, i + start.length)}\n${table}\n${text.slice(j)}`;
}

/** The files whose tables differ from their schemas, with the text they should have. */
export function staleDocs(): { file: string; expected: string; actual: string }[] {
  const byFile = new Map<string, string>();
  const actual = new Map<string, string>();
  for (const t of generatedTables()) {
    const path = `${root}${t.file}`;
    if (!actual.has(t.file)) actual.set(t.file, readFileSync(path, 'utf8'));
    byFile.set(t.file, withTable(byFile.get(t.file) ?? actual.get(t.file)!, t.name, t.table, t.file));
  }
  return [...byFile].filter(([f, text]) => text !== actual.get(f)).map(([file, expected]) => ({ file, expected, actual: actual.get(file)! }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const stale = staleDocs();
  if (process.argv.includes('--check')) {
    for (const s of stale) process.stderr.write(`${s.file}: its options table differs from the schema (npm run docs:options rewrites it)\n`);
    process.exitCode = stale.length ? 1 : 0;
  } else {
    for (const s of stale) writeFileSync(`${root}${s.file}`, s.expected);
    process.stdout.write(stale.length ? `rewrote ${stale.map((s) => s.file).join(', ')}\n` : 'the options tables are up to date\n');
  }
}
