// `peft train --events FILE`: the run's typed events, one JSON line each, for programs (the sweep reads these).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readTrainEvents, TRAIN_EVENTS_VERSION } from '../src/train/events.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const tinyRoberta = fileURLToPath(new URL('../../../test-fixtures/tiny-roberta', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'peft-train-events-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const rows = (n: number): string => ['sentence\tlabel', ...Array.from({ length: n }, (_, i) => `${i % 2 ? 'good fine' : 'bad dull'} film ${i}\t${i % 2}`)].join('\n') + '\n';
mkdirSync(join(work, 'data', 'sst2', 'SST-2'), { recursive: true });
writeFileSync(join(work, 'data', 'sst2', 'SST-2', 'train.tsv'), rows(16));
writeFileSync(join(work, 'data', 'sst2', 'SST-2', 'dev.tsv'), rows(8));
const train = (...extra: string[]) => trainOn('cpu', ...extra);
const trainOn = (backend: string, ...extra: string[]) =>
  spawnSync(process.execPath, [cli, 'train', 'sst2', '--model', tinyRoberta, '--data', join(work, 'data'), '--batch-size', '4', '--epochs', '2', '--checkpoint-every', '2', ...extra], { encoding: 'utf8', env: { ...process.env, PEFT_BACKEND: backend } });

describe('peft train --events', () => {
  it('started, step…, checkpoint, evaluated, finished: each versioned, with what a driver needs', () => {
    const file = join(work, 'ok.jsonl');
    const r = train('--out', join(work, 'ok'), '--events', file);
    expect(r.status, r.stderr).toBe(0);
    const events = readTrainEvents(readFileSync(file, 'utf8'));
    expect(events.every((e) => e.v === TRAIN_EVENTS_VERSION && !Number.isNaN(Date.parse(e.time)))).toBe(true);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('started');
    expect(types[types.length - 1]).toBe('finished');
    const started = events[0] as Extract<(typeof events)[number], { type: 'started' }>;
    expect(started).toMatchObject({ task: 'sst2', preset: 'nlu-inducer-lora', total_steps: 8, train_examples: 16, resume: false, out: join(work, 'ok') });
    expect(events.filter((e) => e.type === 'step').map((e) => (e as { step: number }).step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => (e as { step: number }).step)).toEqual(expect.arrayContaining([2, 4, 6, 8]));
    expect(events.filter((e) => e.type === 'evaluated')).toHaveLength(2);
    expect((events.find((e) => e.type === 'evaluated') as { metrics: Record<string, number> }).metrics.accuracy).toBeTypeOf('number');
    const finished = events[events.length - 1] as { steps: number; metrics: Record<string, number> };
    expect(finished.steps).toBe(8);
    expect(finished.metrics).toEqual(JSON.parse(readFileSync(join(work, 'ok', 'metrics.json'), 'utf8')));
  });

  it("a failed event carries the error's PeftErrorKind, as the exit code does: data (1), input (2), environment (1)", () => {
    const failed = (name: string, ...extra: string[]) => {
      const file = join(work, `${name}.jsonl`);
      const r = trainOn(name === 'environment' ? 'tensorflow' : 'cpu', '--events', file, ...extra);
      const events = readTrainEvents(readFileSync(file, 'utf8'));
      expect(events, r.stderr).toHaveLength(1);
      return { status: r.status, event: events[0] as Extract<(typeof events)[number], { type: 'failed' }> };
    };
    const data = failed('data', '--out', join(work, 'bad'), '--data', join(work, 'nowhere'));
    expect(data.status).toBe(1);
    expect(data.event).toMatchObject({ type: 'failed', kind: 'data', code: 'E_DATA_FILE' });
    expect(data.event.message).toContain(join(work, 'nowhere'));
    const input = failed('input', '--out', join(work, 'bad2'), '--preset', 'no-such-preset');
    expect(input.status).toBe(2);
    expect(input.event).toMatchObject({ type: 'failed', kind: 'input', code: 'E_UNKNOWN_NAME' });
    // the backend asked for (tfjs-node, which the repository does not install) is missing: the machine's fault, worth
    // another attempt elsewhere
    const environment = failed('environment', '--out', join(work, 'bad3'));
    expect(environment.status).toBe(1);
    expect(environment.event).toMatchObject({ type: 'failed', kind: 'environment', code: 'E_BACKEND' });
  });

  it('a torn last line and lines of another version are left out', () => {
    const text = `{"v":${TRAIN_EVENTS_VERSION},"time":"2026-01-01T00:00:00Z","type":"step","step":1}\n{"v":999,"type":"step"}\n{"v":1,"type":"fin`;
    expect(readTrainEvents(text).map((e) => e.type)).toEqual(['step']);
  });
});
