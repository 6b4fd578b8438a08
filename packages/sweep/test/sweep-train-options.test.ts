// One validation of `peft train` options for the command line and the sweep (issue 23): the same values fed to
// `peft train` and to a sweep file's `train:` (and seeds) are accepted or refused alike, with the same message.
import { spawnSync } from 'node:child_process';
import { Command, CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { trainOptionInfos, trainOptions } from '@peft/recipes';
import { parseSweep } from '../src/sweep-file.js';
import { SweepFileError } from '../src/errors.js';
import { cli } from './harness.js';

/** What `peft train`'s own options make of `--name value`: null when accepted, else commander's message. */
function trainRefuses(name: string, value: string): string | null {
  let message: string | null = null;
  const cmd = new Command('train').exitOverride().configureOutput({ writeErr: (s) => (message = s.trim()), writeOut: () => undefined });
  for (const o of trainOptions()) cmd.addOption(o);
  cmd.action(() => undefined);
  try {
    cmd.parse(['--model', 'm', `--${name}`, value], { from: 'user' });
    return null;
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    return message ?? e.message;
  }
}

function sweepRefuses(name: string, value: number | string): string | null {
  const doc = name === 'seed' ? { name: 's', out: '/o', model: '/m', tasks: ['sst2'], seeds: [value] } : { name: 's', out: '/o', model: '/m', tasks: ['sst2'], train: { [name]: value } };
  try {
    parseSweep(doc, '/x/sweep.yaml');
    return null;
  } catch (e) {
    if (!(e instanceof SweepFileError)) throw e;
    return e.message;
  }
}

const CASES: [string, number | string][] = [
  ['lr', 0], ['lr', -1], ['lr', 2e-4], ['lr', 'fast'], ['lr', 1e38],
  ['seed', 0], ['seed', 1.5], ['seed', 1e20], ['seed', -1], ['seed', 42],
  ['max-steps', 1e20], ['max-steps', 0], ['max-steps', 400],
  ['epochs', 0], ['epochs', 3], ['batch-size', 0], ['batch-size', 2.5], ['warmup', 0], ['accum', 0],
  ['label-smoothing', 1], ['label-smoothing', 1.5], ['label-smoothing', 0.1], ['label-smoothing', -0.1],
  ['padding', 'batch'], ['padding', 'left'], ['max-length', 4], ['max-length', 64], ['patience', 0],
  ['checkpoint-blocks', 'all'], ['checkpoint-blocks', 2], ['checkpoint-blocks', 'some'], ['test-entries', 0],
  // edge cases: zero, the open end of a range, negative, NaN and infinite numbers (YAML's .nan and .inf), numbers
  // spelled as text, hexadecimal, empty text
  ['lr', NaN], ['lr', Infinity], ['lr', -Infinity], ['lr', -0.5], ['lr', '2e-4'], ['lr', '0x10'], ['lr', ''], ['lr', 1e-12],
  ['label-smoothing', 0], ['label-smoothing', 0.999], ['label-smoothing', NaN], ['label-smoothing', '1'],
  ['epochs', -3], ['epochs', NaN], ['epochs', '12abc'], ['epochs', Infinity], ['max-steps', '12'], ['seed', '0x10'],
  ['seed', 2 ** 53 - 1], ['seed', 2 ** 53], ['warmup', -1], ['accum', 1.5], ['max-length', 7], ['max-length', 8],
  ['patience', -1], ['checkpoint-blocks', -1], ['checkpoint-blocks', 0], ['checkpoint-blocks', 1.5], ['checkpoint-blocks', 'none'],
  ['on-nonfinite', 'skip-step'], ['on-nonfinite', 'ignore'], ['on-nonfinite', 1], ['padding', 'global'], ['padding', ''],
  ['max-train-examples', 0], ['max-valid-examples', 1], ['test-entries', -1],
];

describe('peft train and a sweep accept and refuse the same option values', () => {
  it.each(CASES)('--%s %s', (name, value) => {
    const train = trainRefuses(name, String(value));
    const sweep = sweepRefuses(name, value);
    expect(sweep === null, `train: ${train}\nsweep: ${sweep}`).toBe(train === null);
    if (train !== null) {
      // the same rule in both: the sweep quotes the command line's sentence
      const rule = /(--[\w-]+ must be [^.]+|[Aa]llowed choices are [^.]+)/.exec(train)![1]!;
      expect(sweep!.toLowerCase()).toContain(rule.toLowerCase());
    }
  });

  it('an unknown option is refused by both, by its name; so are the options a sweep sets itself', () => {
    for (const name of ['lrate', 'learning-rate', 'max_steps', 'maxSteps']) {
      expect(trainRefuses(name, '1'), name).toMatch(new RegExp(`unknown option '--${name}'`));
      expect(sweepRefuses(name, 1), name).toMatch(new RegExp(`field 'train\\.${name}': is not an option of peft train`));
    }
    // the sweep decides these (its fields and the worker's), peft train takes them
    for (const [name, value] of [['model', '/m'], ['preset', 'lora-54'], ['out', '/o'], ['events', '/e'], ['data', '/d']] as const) {
      expect(trainRefuses(name, value), name).toBeNull();
      expect(sweepRefuses(name, value), name).toMatch(/is set by the sweep/);
    }
    expect(sweepRefuses('resume', 'true')).toMatch(/is set by the sweep/);
  });

  it('every option of peft train with a value is one a sweep can set or one it decides itself', () => {
    for (const o of trainOptionInfos().filter((x) => !x.isFlag)) {
      const r = sweepRefuses(o.flag, 'x');
      expect(r === null || !/is not an option of peft train/.test(r), o.flag).toBe(true);
    }
  });

  it('the real command line refuses what the sweep refuses (exit 2 before anything runs)', () => {
    for (const [name, value] of [['lr', '0'], ['seed', '1e20'], ['max-steps', '1e20'], ['label-smoothing', '1'], ['lr', 'NaN']] as const) {
      const r = spawnSync(process.execPath, [cli, 'train', 'sst2', '--model', '/nonexistent', `--${name}`, value], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(sweepRefuses(name, Number(value))).not.toBeNull();
      expect(r.stderr).toContain(`--${name} must be`);
    }
  });
});
