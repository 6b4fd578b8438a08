// `peft sweep report` with one corrupt metrics.json: it names the file and fails (exit 1), or leaves that run out with
// --skip-unreadable, naming it on stderr and among the runs not in the table.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { peft } from './harness.js';

const tinyRoberta = fileURLToPath(new URL('../../../test-fixtures/tiny-roberta', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'peft-sweep-report-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('peft sweep report with a corrupt metrics.json', () => {
  it('fails naming the file, or leaves the run out with --skip-unreadable', () => {
    const file = join(work, 'r.yaml');
    writeFileSync(file, `name: r\nout: runs\nmodel: ${tinyRoberta}\ntasks: [sst2]\npresets: [nlu-inducer-lora]\nseeds: [1, 2, 3]\n`);
    for (const [seed, text] of [[1, '{"accuracy": 0.75}'], [2, '{"accuracy": 0.8}'], [3, '{"accuracy": 0.7']] as const) {
      mkdirSync(join(work, 'runs', `sst2-nlu-inducer-lora-s${seed}`), { recursive: true });
      writeFileSync(join(work, 'runs', `sst2-nlu-inducer-lora-s${seed}`, 'metrics.json'), text);
    }
    const bad = join(work, 'runs', 'sst2-nlu-inducer-lora-s3', 'metrics.json');
    const r = peft('sweep', 'report', file);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`peft: error: ${bad}: `);
    expect(r.stderr).toMatch(/JSON.*: remove the run folder to run the job again, or pass --skip-unreadable/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const skipped = peft('sweep', 'report', file, '--skip-unreadable');
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stderr).toContain(`peft sweep report: left out sst2-nlu-inducer-lora-s3: ${bad}: `);
    expect(skipped.stdout).toContain('Not finished (left out): sst2-nlu-inducer-lora-s3.');
    expect(skipped.stdout).toMatch(/77\.50 ± 3\.54/); // the mean ± sd of the two readable runs (75, 80)
  });
});
