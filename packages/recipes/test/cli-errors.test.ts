import { describe, expect, it, vi } from 'vitest';
import { ConfigError, MissingTensorError } from '@peft/core';
import { MetricsInputError } from '@peft/eval-metrics';
import { main } from '../src/cli/main.js';
import type { CliIo } from '../src/cli/option-parsers.js';

// `peft presets` runs presetRegistry(); each test makes it throw what a command could throw.
const thrown = vi.hoisted(() => ({ error: undefined as unknown }));
vi.mock('../src/presets.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../src/presets.js')>()),
  presetRegistry: () => {
    throw thrown.error;
  },
}));

async function run(error: unknown): Promise<{ code: number; err: string; out: string }> {
  thrown.error = error;
  const err: string[] = [];
  const out: string[] = [];
  const io: CliIo = { out: (s) => out.push(s), err: (s) => err.push(s) } as CliIo;
  const code = await main(['presets'], io);
  // the first lines say which backend was chosen; the report of the error starts at 'peft:'
  const report = err.findIndex((l) => l.startsWith('peft:'));
  return { code, err: report < 0 ? '' : err.slice(report).join('\n'), out: out.join('\n') };
}

function syntaxErrorOfABug(): SyntaxError {
  try {
    JSON.parse('{"unterminated');
  } catch (e) {
    return e as SyntaxError;
  }
  throw new Error('JSON.parse accepted bad JSON');
}

describe('peft maps errors by kind: input 2, data 1, anything else an internal error 70 with its stack', () => {
  it('a TypeError thrown by a bug in a command exits 70, says it is internal and prints its stack', async () => {
    const r = await run(new TypeError("Cannot read properties of undefined (reading 'build')"));
    expect(r.code).toBe(70);
    expect(r.err).toMatch(/^peft: internal error \(a bug in peft, not in your input; please report it with this stack\):\nTypeError: Cannot read properties of undefined/);
    expect(r.err).toMatch(/\n +at .*cli-errors\.test\.ts/); // the stack, down to where it was thrown
    expect(r.out).toBe('');
  });

  it('a SyntaxError from a bug is not reported as the user\'s input (the old name regex did)', async () => {
    const r = await run(syntaxErrorOfABug());
    expect(r.code).toBe(70);
    expect(r.err).toMatch(/^peft: internal error .*\nSyntaxError: /);
    expect(r.err).not.toMatch(/^peft: error:/);
    expect(r.err).toMatch(/\n +at /);
  });

  it('a foreign error whose name ends in "Error" (a Redis ReplyError) is internal too', async () => {
    const e = Object.assign(new Error('ERR wrong number of arguments'), { name: 'ReplyError' });
    const r = await run(e);
    expect(r.code).toBe(70);
    expect(r.err).toMatch(/ReplyError: ERR wrong number of arguments/);
  });

  it('an input error exits 2 with its message alone; a data error 1; neither prints a stack', async () => {
    const input = await run(new ConfigError('config.lr', 'must be > 0'));
    expect([input.code, input.err]).toEqual([2, 'peft: error: config.lr: must be > 0']);
    const data = await run(new MissingTensorError('/m/model.safetensors', 'h.1.ln_1.weight'));
    expect([data.code, data.err]).toEqual([1, "peft: error: /m/model.safetensors: tensor 'h.1.ln_1.weight' is missing"]);
    const metrics = await run(new MetricsInputError('LINE_COUNT_MISMATCH', 'hyp.txt has 3 lines, ref.txt 4', { file: 'hyp.txt' }));
    expect([metrics.code, metrics.err]).toEqual([2, 'peft: error: hyp.txt has 3 lines, ref.txt 4']);
  });

  it('a system error (errno, syscall, path) exits 1 with its message, no stack', async () => {
    const e = Object.assign(new Error("ENOSPC: no space left on device, write '/full/x'"), { code: 'ENOSPC', errno: -28, syscall: 'write', path: '/full/x' });
    const r = await run(e);
    expect([r.code, r.err]).toEqual([1, "peft: error: ENOSPC: no space left on device, write '/full/x'"]);
  });
});
