import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { normaliseArgv } from '../src/cli/metrics-commands.js';
import { integerParser, numberParser, repeatableParser, type CliIo } from '../src/cli/option-parsers.js';

// The command line as users meet it: `main(argv, io)` in-process, on the argument errors that stop a command before it
// computes anything, and on `peft metrics`, which needs no backend.

const here = fileURLToPath(new URL('.', import.meta.url));
const tiny = join(here, '../../../test-fixtures/tiny-gpt2');
const work = mkdtempSync(join(tmpdir(), 'peft-cli-options-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function peft(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (s) => out.push(s), err: (s) => err.push(s) };
  const code = await main(argv, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('bad flags are usage errors (exit 2) that name the flag, before anything runs', () => {
  it.each([
    [['--lr', 'abc'], /option '--lr <number>' argument 'abc' is invalid\. --lr must be a number > 0\./],
    [['--lr', '0'], /--lr must be a number > 0/],
    [['--batch-size', '0'], /option '--batch-size <int>' argument '0' is invalid\. --batch-size must be an integer ≥ 1\./],
    [['--batch-size', '2.5'], /--batch-size must be an integer ≥ 1/],
    [['--epochs', '-1'], /option '--epochs <int>' argument '-1' is invalid\. --epochs must be an integer ≥ 1\./],
    [['--epochs=-1'], /--epochs must be an integer ≥ 1/],
    [['--epochs', 'two'], /--epochs must be an integer ≥ 1/],
    [['--max-steps', '1e99'], /--max-steps must be an integer ≥ 1/],
    [['--seed', '-3'], /--seed must be an integer ≥ 0/],
    [['--label-smoothing', '1.5'], /--label-smoothing must be a number in \[0, 1\)/],
    [['--padding', 'left'], /argument 'left' is invalid\. --padding must be one of global, batch\./],
    [['--checkpoint-blocks', 'some'], /--checkpoint-blocks must be all, none or a block count/],
  ])('peft train webnlg --model M %j', async (flags, message) => {
    const r = await peft('train', 'webnlg', '--model', tiny, ...flags);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/\(peft train --help lists the options\)/);
    expect(r.stdout).toBe('');
  });

  it('an unknown flag is refused with the nearest one suggested', async () => {
    const t = await peft('train', 'webnlg', '--model', tiny, '--bach-size', '8');
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/unknown option '--bach-size'\n\(Did you mean --batch-size\?\)/);
    const m = await peft('metrics', 'bleu', '--hyp', 'h', '--ref', 'r', '--lowercas');
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/unknown option '--lowercas'\n\(Did you mean --lowercase\?\)/);
    const c = await peft('metrics', 'coqa', '--data-fil', 'g');
    expect(c.stderr).toMatch(/Did you mean --data-file\?/);
  });

  it('an unknown command is refused with the nearest one suggested; a bad task lists the tasks', async () => {
    const r = await peft('trian', 'webnlg');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'trian'\n\(Did you mean train\?\)/);
    const m = await peft('metrics', 'bleux');
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/Did you mean bleu\?/);
    const t = await peft('train', 'squad', '--model', tiny);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/'squad' is invalid for argument 'task'\. Allowed choices are webnlg, coqa, sst2, mnli\./);
  });

  it('a missing required flag, a missing --ref and a flag of another task are usage errors', async () => {
    const t = await peft('train', 'webnlg');
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/required option '--model <dir>' not specified/);
    const m = await peft('metrics', 'bleu', '--hyp', 'h');
    expect(m.code).toBe(2);
    expect(m.stderr).toMatch(/metrics bleu needs at least one --ref FILE\n\(peft metrics bleu --help lists the options\)/);
    const e = await peft('eval', 'webnlg', '--model', tiny, '--adapter', 'a', '--seed', '3');
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/--seed applies to peft eval sst2\|mnli/);
  });

  it('boolean flags take no value: --resume=yes is refused, and a flag never swallows the next word', async () => {
    const r = await peft('train', 'webnlg', '--model', tiny, '--resume=yes');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--resume=yes'|does not take an argument/);
    const extra = await peft('train', 'webnlg', '--model', tiny, '--resume', 'yes');
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/too many arguments for 'train'/);
  });

  it('no command prints the usage on stderr and exits 2; --help exits 0 on stdout', async () => {
    const r = await peft();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Usage: peft \[options\] \[command\]/);
    const h = await peft('--help');
    expect(h.code).toBe(0);
    for (const c of ['train', 'eval', 'generate', 'presets', 'metrics', 'demo']) expect(h.stdout).toMatch(new RegExp(`\\n  ${c} `));
    expect(h.stdout).toMatch(/PEFT_BACKEND=/);
    expect(h.stdout).toMatch(/PEFT_BLAS=0/);
    expect((await peft('help', 'train')).stdout).toMatch(/Usage: peft train \[options\] <task>/);
  });
});

describe('--help of every command lists each flag with its type, default and meaning', () => {
  it('peft train --help', async () => {
    const r = await peft('train', '--help');
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const h = r.stdout.replace(/\s+/g, ' '); // commander wraps descriptions at 80 columns
    expect(h).toMatch(/Usage: peft train \[options\] <task>/);
    expect(h).toMatch(/task the task \(choices: "webnlg", "coqa", "sst2", "mnli"\)/);
    expect(h).toMatch(/--model <dir> Hugging Face checkpoint folder .* \(dir; required\)/);
    expect(h).toMatch(/--epochs <int> passes over the training set \(integer ≥ 1; default: the recipe's, 10\)/);
    expect(h).toMatch(/--batch-size <int> examples per micro-batch .* \(integer ≥ 1; default: the recipe's: webnlg, coqa 2; sst2, mnli 16\)/);
    expect(h).toMatch(/--lr <number> peak learning rate \(number > 0; default: the recipe's: webnlg, coqa 0\.00125; sst2, mnli 0\.0002\)/);
    expect(h).toMatch(/--resume continue OUT\.partial from its last checkpoint \(same arguments\) \(flag\)/);
    expect(h).toMatch(/--padding <mode> .* \(one of global, batch; default: global\)/);
    expect(h).toMatch(/--checkpoint-blocks <k> blocks \(GPT-2\) or layers \(RoBERTa\) .* \(all, none or a block count; default: as many as the backend's memory needs\)/);
    for (const flag of [
      '--preset', '--data', '--out', '--max-steps', '--seed', '--warmup', '--accum', '--checkpoint-every', '--max-train-examples',
      '--max-valid-examples', '--test-entries', '--max-length', '--label-smoothing', '--patience',
    ]) {
      expect(h, flag).toMatch(new RegExp(`${flag} <[a-z]+> .*\\((integer|number|dir|name)[^)]*default: `));
    }
  });

  it('peft metrics bleu --help', async () => {
    const r = await peft('metrics', 'bleu', '--help');
    expect(r.code).toBe(0);
    const h = r.stdout.replace(/\s+/g, ' ');
    expect(h).toMatch(/Usage: peft metrics bleu \[options\]/);
    expect(h).toMatch(/--hyp <file> hypotheses, one segment per line \(file; required\)/);
    expect(h).toMatch(/--ref <file> references, line-aligned with --hyp; repeat for several references \(file, repeatable\)/);
    expect(h).toMatch(/--lowercase lower-case hypotheses and references first \(aliases: --lc, and -lc as multi-bleu\.perl and sacreBLEU spell it\) \(flag\)/);
    expect(h).not.toMatch(/^\s+--lc\b/m); // the alias is documented on --lowercase, not listed twice
  });

  it.each([['eval'], ['generate'], ['presets'], ['demo'], ['metrics'], ['metrics', 'ter'], ['metrics', 'meteor'], ['metrics', 'webnlg'], ['metrics', 'coqa'], ['data', 'get'], ['data', 'list'], ['data', 'path']])(
    'peft %s … --help',
    async (...command) => {
      const r = await peft(...command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage: peft ${command.join(' ')} `));
      // every option line but --help carries its type in parentheses
      const options = r.stdout.split('Options:')[1]!.split(/\n(?=  -)/).filter((l) => /^\s+--/.test(l) && !/--help/.test(l));
      for (const o of options) expect(o.replace(/\s+/g, ' '), o).toMatch(/\((flag|integer|number|file|dir|text)[^)]*\)\s*$/);
    },
  );

  it('peft metrics coqa --help names the official script\'s flags and the old ones', async () => {
    const h = (await peft('metrics', 'coqa', '--help')).stdout.replace(/\s+/g, ' ');
    expect(h).toMatch(/--data-file <file> the gold file, e\.g\. coqa-dev-v1\.0\.json \(alias: --data\)/);
    expect(h).toMatch(/--pred-file <file> predictions, .* \(alias: --pred\)/);
  });
});

describe('peft demo --model / --data', () => {
  it('are in its help, with the files inside @peft/recipes as defaults', async () => {
    const h = (await peft('demo', '--help')).stdout.replace(/\s+/g, ' ');
    expect(h).toMatch(/--model <dir> GPT-2 checkpoint folder \(dir; default: the tiny GPT-2 inside @peft\/recipes, demo\/tiny-gpt2\)/);
    expect(h).toMatch(/--data <dir> data folder holding webnlg\/webnlg_challenge_2017\/ \(dir; default: the WebNLG subset inside @peft\/recipes, demo\/data\)/);
  });

  it('a --data folder that does not exist is an error naming it, before any training', async () => {
    const missing = join(work, 'no-such-data');
    const r = await peft('demo', '--data', missing, '--out', join(work, 'demo-missing-data'));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${missing}: the --data folder does not exist`);
    expect(r.stderr).not.toMatch(/step \d+\/\d+/);
  });
});

describe('peft metrics: the flag names of the tools users know', () => {
  const hyp = join(work, 'hyp.txt');
  const ref = join(work, 'ref.txt');
  writeFileSync(hyp, 'The Cat sat on the Mat\nHello World\n');
  writeFileSync(ref, 'the cat sat on the mat\nhello world\n');
  const score = (r: { stdout: string }): number => (JSON.parse(r.stdout) as { score: number }).score;

  it('--lowercase, --lc and -lc (multi-bleu.perl, sacreBLEU) lower-case both sides: identical text scores 100', async () => {
    const cased = await peft('metrics', 'bleu', '--hyp', hyp, '--ref', ref);
    expect(cased.code, cased.stderr).toBe(0);
    expect(score(cased)).toBeLessThan(50);
    for (const flag of ['--lowercase', '--lc', '-lc']) {
      const r = await peft('metrics', 'bleu', '--hyp', hyp, '--ref', ref, flag);
      expect(r.code, `${flag}: ${r.stderr}`).toBe(0);
      expect(score(r), flag).toBe(100);
    }
    // the flag may come first, and takes no value: the next word is still read as what it is
    const first = await peft('metrics', 'bleu', '-lc', '--hyp', hyp, '--ref', ref);
    expect(score(first)).toBe(100);
    const ter = await peft('metrics', 'ter', '--hyp', hyp, '--ref', ref, '--lowercase');
    expect((JSON.parse(ter.stdout) as { score: number }).score).toBe(0);
  });

  it('-lc is rewritten to --lowercase before parsing (commander\'s short flags are one character)', () => {
    expect(normaliseArgv(['metrics', 'bleu', '-lc', '--hyp', 'h'])).toEqual(['metrics', 'bleu', '--lowercase', '--hyp', 'h']);
    expect(normaliseArgv(['-l', '-c', '--lc'])).toEqual(['-l', '-c', '--lc']);
  });

  it('peft metrics coqa --data-file G --pred-file P (the official script\'s names) = --data G --pred P', async () => {
    const gold = join(here, 'fixtures', 'coqa-dev-v1.0.json');
    const pred = join(work, 'pred.json');
    writeFileSync(pred, JSON.stringify([
      { id: 'story-a1', turn_id: 1, answer: 'red' },
      { id: 'story-a1', turn_id: 2, answer: 'to the lighthouse' },
      { id: 'story-a1', turn_id: 3, answer: 'on Sundays' },
      { id: 'story-a1', turn_id: 4, answer: 'Tom' },
    ]));
    const official = await peft('metrics', 'coqa', '--data-file', gold, '--pred-file', pred);
    expect(official.code, official.stderr).toBe(0);
    const j = JSON.parse(official.stdout) as { em: number; f1: number; turns: number; missing_predictions: number };
    expect(j.missing_predictions).toBeGreaterThan(0); // the other stories' turns
    expect(j.em).toBeGreaterThan(0);
    const old = await peft('metrics', 'coqa', '--data', gold, '--pred', pred);
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toBe(official.stdout);
    const missing = await peft('metrics', 'coqa', '--pred-file', pred);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/metrics coqa needs --data-file FILE/);
    expect(readFileSync(pred, 'utf8')).toMatch(/story-a1/);
  });
});

describe('the option parsers the commands share', () => {
  it('integers and numbers: accepted values, and InvalidArgumentError naming the flag otherwise', () => {
    const int = integerParser('--n', 1);
    expect(int('3', 0)).toBe(3);
    expect(int(' 12 ', 0)).toBe(12);
    for (const bad of ['0', '-1', '1.5', 'abc', '', '0x10', 'Infinity', '1e400']) {
      expect(() => int(bad, 0), bad).toThrow(InvalidArgumentError);
      expect(() => int(bad, 0), bad).toThrow('--n must be an integer ≥ 1.');
    }
    expect(int.expects).toBe('integer ≥ 1');
    expect(integerParser('--k', 0, 9).expects).toBe('integer in [0, 9]');
    const lr = numberParser('--lr', { above: 0 });
    expect(lr('2e-4', 0)).toBe(2e-4);
    expect(lr('.5', 0)).toBe(0.5);
    for (const bad of ['0', '-1e-3', 'NaN', 'abc', '1e-3x']) expect(() => lr(bad, 0), bad).toThrow('--lr must be a number > 0.');
    expect(numberParser('--p', { min: 0, max: 1 }).expects).toBe('number in [0, 1]');
    expect(numberParser('--x').expects).toBe('number');
    const refs = repeatableParser('file');
    expect(refs('b', refs('a', []))).toEqual(['a', 'b']);
    expect(refs.expects).toBe('file, repeatable');
  });
});
