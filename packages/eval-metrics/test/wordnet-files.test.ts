import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

// The package ships WordNet 3.0's four index files gzipped (data/meteor/wordnet-3.0/*.gz) instead of depending on the
// npm package `wordnet` (28 MB, most of it data.* files METEOR never reads). They must be those files byte for byte:
// the npm package stays a devDependency so that this test can compare them.
const shipped = fileURLToPath(new URL('../data/meteor/wordnet-3.0', import.meta.url));
const upstream = join(dirname(createRequire(import.meta.url).resolve('wordnet/package.json')), 'db');

describe('the shipped WordNet 3.0 index files', () => {
  it.each(['index.noun', 'index.verb', 'index.adj', 'index.adv'])('%s.gz is the npm package\'s file byte for byte', (name) => {
    const ours = gunzipSync(readFileSync(join(shipped, `${name}.gz`)));
    const theirs = readFileSync(join(upstream, name));
    expect(ours.byteLength).toBe(theirs.byteLength);
    expect(ours.equals(theirs)).toBe(true);
  });
});
