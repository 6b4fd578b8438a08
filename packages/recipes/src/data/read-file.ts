import { readFileSync } from 'node:fs';
import { DataFileError, DataFormatError } from '../errors.js';
import { jsonErrorOffset } from './json-error.js';

/** Reads a UTF-8 data file; a missing or unreadable file is a {@link DataFileError}. */
export function readTextFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new DataFileError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? (e as Error).message})`, { cause: e });
  }
}

/** 1-based line of character offset `pos` in `text`. */
export function lineOfOffset(text: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** Parses JSON text; a syntax error becomes a {@link DataFormatError} with the line of the fault. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = (e as Error).message;
    const lc = /line (\d+) column (\d+)/.exec(msg);
    const pos = /position (\d+)/.exec(msg);
    const at = pos ? Number(pos[1]) : jsonErrorOffset(text);
    const line = lc ? Number(lc[1]) : at >= 0 ? lineOfOffset(text, at) : 0;
    throw new DataFormatError(file, line, `malformed JSON (${msg})`);
  }
}

export function readJsonFile(file: string): unknown {
  return parseJsonText(readTextFile(file), file);
}
