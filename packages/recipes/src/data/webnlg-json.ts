import { DataFormatError } from '../errors.js';
import { readJsonFile } from './read-file.js';
import { checkRecordSize, type Triple, type WebnlgExample } from './webnlg-examples.js';

/**
 * Reads a WebNLG 2017 file in the prefix-tuning JSON format (`{"entries": [{"1": {lexicalisations, modifiedtripleset,
 * category, …}}, …]}`). Keeps only lexicalisations with `comment == "good"`, one example per (triple set, good lex),
 * strings as they are (spec §7.2; the reference's `load_webnlg`).
 */
export function loadWebnlgJson(file: string): WebnlgExample[] {
  return webnlgFromJson(readJsonFile(file), file);
}

export function webnlgFromJson(doc: unknown, file: string): WebnlgExample[] {
  const entries = (doc as { entries?: unknown })?.entries;
  if (!Array.isArray(entries)) throw new DataFormatError(file, 0, "top level must be an object with an 'entries' array");
  const out: WebnlgExample[] = [];
  entries.forEach((wrapper, i) => {
    const key = String(i + 1);
    const entry = (wrapper as Record<string, unknown>)?.[key] as Record<string, unknown> | undefined;
    const where = `entries[${i}]["${key}"]`;
    if (!entry || typeof entry !== 'object') throw new DataFormatError(file, 0, `${where} is missing (entries are keyed by their 1-based index)`);
    const lexs = entry.lexicalisations;
    const set = entry.modifiedtripleset;
    if (!Array.isArray(lexs)) throw new DataFormatError(file, 0, `${where}.lexicalisations must be an array`);
    if (!Array.isArray(set)) throw new DataFormatError(file, 0, `${where}.modifiedtripleset must be an array`);
    const triples: Triple[] = set.map((t, j) => {
      const r = t as Record<string, unknown>;
      for (const f of ['subject', 'property', 'object'] as const) {
        if (typeof r?.[f] !== 'string') throw new DataFormatError(file, 0, `${where}.modifiedtripleset[${j}].${f} must be a string`);
      }
      for (const f of ['subject', 'property', 'object'] as const) checkRecordSize(r[f] as string, file, 0, `${where}.modifiedtripleset[${j}].${f}`);
      return { subject: r.subject as string, property: r.property as string, object: r.object as string };
    });
    const category = typeof entry.category === 'string' ? entry.category : '';
    lexs.forEach((lex, j) => {
      const l = lex as Record<string, unknown>;
      if (l?.comment !== 'good') return;
      if (typeof l.lex !== 'string') throw new DataFormatError(file, 0, `${where}.lexicalisations[${j}].lex must be a string`);
      checkRecordSize(l.lex, file, 0, `${where}.lexicalisations[${j}].lex`);
      out.push({ triples, target: l.lex, entryIndex: i, category });
    });
  });
  return out;
}
