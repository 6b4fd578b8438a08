import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError } from '../errors.js';
import { lineOfOffset, readTextFile } from './read-file.js';
import { checkRecordSize, type Triple, type WebnlgExample } from './webnlg-examples.js';

/**
 * Reads a WebNLG challenge XML file (`<benchmark><entries><entry category eid size>` with `<modifiedtripleset>`
 * `<mtriple>s | p | o</mtriple>` and `<lex comment lid>`), with the same selection as the JSON loader: good lexicalisations
 * only, one example per (triple set, lex). This is the format's fixed layout, not a general XML parser.
 */
export function loadWebnlgXml(file: string, firstEntryIndex = 0): WebnlgExample[] {
  return webnlgFromXml(readTextFile(file), file, firstEntryIndex);
}

export function webnlgFromXml(text: string, file: string, firstEntryIndex = 0): WebnlgExample[] {
  if (!/<benchmark[\s>]/.test(text)) throw new DataFormatError(file, 1, 'not a WebNLG benchmark XML file (no <benchmark> element)');
  checkEntriesClosed(text, file);
  const out: WebnlgExample[] = [];
  const entryRe = /<entry\b([^>]*)>([\s\S]*?)<\/entry>/g;
  let m: RegExpExecArray | null;
  let index = firstEntryIndex;
  while ((m = entryRe.exec(text))) {
    const bodyStart = m.index + m[0].indexOf('>') + 1;
    const attrs = m[1]!;
    const body = m[2]!;
    const lineAt = (offset: number) => () => lineOfOffset(text, offset);
    const decode = (s: string, offset: number): string => decodeEntities(s, { file, line: lineAt(offset) });
    const category = decode(/category="([^"]*)"/.exec(attrs)?.[1] ?? '', m.index);
    const setM = /<modifiedtripleset>([\s\S]*?)<\/modifiedtripleset>/.exec(body);
    if (!setM) throw new DataFormatError(file, lineOfOffset(text, m.index), 'entry without <modifiedtripleset>');
    const triples: Triple[] = [];
    const tripleRe = /<mtriple>([\s\S]*?)<\/mtriple>/g;
    let t: RegExpExecArray | null;
    while ((t = tripleRe.exec(setM[1]!))) {
      const at = bodyStart + setM.index + setM[0].indexOf(setM[1]!) + t.index;
      checkRecordSize(t[1]!, file, lineAt(at), '<mtriple>');
      const parts = decode(t[1]!, at).split(' | ');
      if (parts.length !== 3) {
        throw new DataFormatError(file, lineOfOffset(text, at), `<mtriple> must be 'subject | property | object', got '${t[1]}'`);
      }
      triples.push({ subject: parts[0]!, property: parts[1]!, object: parts[2]! });
    }
    const lexRe = /<lex\b([^>]*)>([\s\S]*?)<\/lex>|<lex\b([^>]*)\/>/g;
    let l: RegExpExecArray | null;
    while ((l = lexRe.exec(body))) {
      const la = l[1] ?? l[3] ?? '';
      if (/comment="([^"]*)"/.exec(la)?.[1] !== 'good') continue;
      checkRecordSize(l[2] ?? '', file, lineAt(bodyStart + l.index), '<lex>');
      out.push({ triples, target: decode(l[2] ?? '', bodyStart + l.index), entryIndex: index, category });
    }
    index++;
  }
  if (index === firstEntryIndex) throw new DataFormatError(file, 1, 'no <entry> elements found');
  return out;
}

/**
 * One pass over the `<entry>` tags before any is read: each must close before the next opens, and the file must end
 * with `</benchmark>`. A truncated file is refused naming the line of the entry left open (rather than losing it
 * quietly), and an unclosed entry is found in linear time (the lazy entry pattern would rescan the rest of the file
 * from every later `<entry>`).
 */
function checkEntriesClosed(text: string, file: string): void {
  const tagRe = /<entry\b|<\/entry>/g;
  let open = -1;
  let t: RegExpExecArray | null;
  while ((t = tagRe.exec(text))) {
    if (t[0] === '</entry>') {
      if (open < 0) throw new DataFormatError(file, lineOfOffset(text, t.index), '</entry> without an open <entry>');
      open = -1;
    } else {
      if (open >= 0) throw new DataFormatError(file, lineOfOffset(text, open), '<entry> is not closed before the next <entry>');
      open = t.index;
    }
  }
  if (open >= 0) throw new DataFormatError(file, lineOfOffset(text, open), '<entry> is not closed: the file is truncated');
  if (!/<\/benchmark>\s*$/.test(text)) {
    throw new DataFormatError(file, lineOfOffset(text, text.length), 'the file ends before </benchmark>: it is truncated');
  }
}

/**
 * The five predefined XML entities and numeric character references. A reference to no Unicode character
 * (`&#99999999;`, a surrogate) is a {@link DataFormatError} at `where` (file and line), not a RangeError.
 */
export function decodeEntities(s: string, where: { file: string; line: number | (() => number) } = { file: '<xml>', line: 0 }): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!(code <= 0x10ffff) || (code >= 0xd800 && code <= 0xdfff)) {
        const line = typeof where.line === 'number' ? where.line : where.line();
        throw new DataFormatError(where.file, line, `&${e}; is not a Unicode character (references go up to &#x10FFFF;, surrogates excluded)`);
      }
      return String.fromCodePoint(code);
    }
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[e]!;
  });
}

/**
 * Reads every `*.xml` under `dir/{1..7}triples/` (sorted, as the corpus reader that made the JSON files does), or the
 * files directly in `dir`; entries are numbered across files.
 */
export function loadWebnlgXmlDir(dir: string): WebnlgExample[] {
  let files: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.xml')) files.push(p);
    }
  };
  try {
    walk(dir);
  } catch (e) {
    throw new DataFormatError(dir, 0, `cannot list the directory (${(e as Error).message})`);
  }
  files = files.sort();
  const out: WebnlgExample[] = [];
  let next = 0;
  for (const f of files) {
    const ex = loadWebnlgXml(f, next);
    out.push(...ex);
    next = countEntries(readTextFile(f)) + next;
  }
  return out;
}

function countEntries(text: string): number {
  return (text.match(/<entry\b/g) ?? []).length;
}
