import { DataFormatError } from '../errors.js';

/** A TSV file as GLUE writes it: a header line, then tab-separated rows, no quoting (csv.QUOTE_NONE). */
export interface TsvTable {
  readonly header: readonly string[];
  /** Rows with their 1-based line numbers in the file. */
  readonly rows: readonly { readonly line: number; readonly cells: readonly string[] }[];
}

export function parseTsv(text: string, file: string): TsvTable {
  const lines = text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (!lines.length) throw new DataFormatError(file, 1, 'empty file (a GLUE tsv starts with a header line)');
  const header = lines[0]!.replace(/^\uFEFF/, '').split('\t');
  const rows: { line: number; cells: string[] }[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i]!.split('\t');
    if (cells.length === 1 && cells[0] === '') continue;
    if (cells.length !== header.length) {
      throw new DataFormatError(file, i + 1, `has ${cells.length} tab-separated fields, the header has ${header.length}`);
    }
    rows.push({ line: i + 1, cells });
  }
  return { header, rows };
}

/** Index of a header column; absent → a typed error naming the file and column. */
export function columnIndex(table: TsvTable, name: string, file: string): number {
  const i = table.header.indexOf(name);
  if (i < 0) throw new DataFormatError(file, 1, `header lacks the column '${name}' (has: ${table.header.join(', ')})`);
  return i;
}
