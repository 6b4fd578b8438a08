// The docs' tables of settings are generated from the settings' schemas (scripts/docs-options.ts): a table edited by
// hand, or a schema changed without `npm run docs:options`, fails here.
import { describe, expect, it } from 'vitest';
import { configTable, generatedTables, staleDocs, withTable } from '../scripts/docs-options.js';
import { PREFIX_SCHEMA } from '@peft/prefix';

describe('the options tables of the docs are the schemas', () => {
  it('every table between its markers equals the one generated from its schema (npm run docs:options rewrites them)', () => {
    expect(generatedTables().map((t) => t.name)).toEqual(['inducer', 'lora', 'adapter', 'prefix', 'ia3', 'train']);
    const stale = staleDocs();
    expect(stale.map((s) => s.file), 'run npm run docs:options').toEqual([]);
  });

  it('a table carries each field of the schema with what it accepts and its default, and a missing marker is an error', () => {
    const t = configTable(PREFIX_SCHEMA);
    expect(t).toContain('| `midDim` | positive integer | `512` |');
    expect(t).toContain('| `dropout` | number in [0, 1) | `0` |');
    expect(t.split('\n')).toHaveLength(2 + Object.keys(PREFIX_SCHEMA.shape).length);
    expect(() => withTable('no markers here', 'prefix', t, 'X.md')).toThrow('X.md: no <!-- options:prefix -->');
    expect(withTable('a\n<!-- options:p -->\nold\n<!-- /options:p -->\nb', 'p', 'new', 'X.md')).toBe('a\n<!-- options:p -->\nnew\n<!-- /options:p -->\nb');
  });
});
