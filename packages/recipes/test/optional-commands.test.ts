// `peft sweep` / `peft worker` live in @peft/sweep, which @peft/recipes does not depend on: the CLI imports it by name
// when one of its commands is typed, and says what to install when it is missing.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { MissingPackageError } from '../src/errors.js';
import { main } from '../src/cli/main.js';
import { registerOptionalCommands } from '../src/cli/optional-commands.js';

const io = { out: () => undefined, err: () => undefined };
const notFound = (name: string): Promise<never> => Promise.reject(Object.assign(new Error(`Cannot find package '${name}' imported from /x/cli.js`), { code: 'ERR_MODULE_NOT_FOUND' }));

function program(): Command {
  return new Command('peft').exitOverride().configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
}

describe('optional command groups', () => {
  it('without @peft/sweep, `peft sweep …` and `peft worker …` fail with the npm install line', async () => {
    for (const cmd of ['sweep', 'worker']) {
      const p = program();
      await registerOptionalCommands(p, io, cmd, notFound);
      const run = p.parseAsync([cmd, 'run', 'x.yaml', '--redis', 'redis://h:1'], { from: 'user' });
      await expect(run).rejects.toThrow(MissingPackageError);
      await expect(run).rejects.toThrow(`peft ${cmd} needs the @peft/sweep package, which is not installed: npm install @peft/sweep`);
    }
  });

  it('with the package, its own register function adds the commands; other commands never load it', async () => {
    const loaded: string[] = [];
    const p = program();
    await registerOptionalCommands(p, io, 'sweep', async (name) => {
      loaded.push(name);
      return { registerSweepCommands: (prog: Command) => void prog.command('sweep').command('plan') };
    });
    expect(loaded).toEqual(['@peft/sweep']);
    expect(p.commands.find((c) => c.name() === 'sweep')!.commands.map((c) => c.name())).toEqual(['plan']);
    const q = program();
    await registerOptionalCommands(q, io, 'train', async (name) => {
      loaded.push(name);
      return {};
    });
    expect(loaded).toEqual(['@peft/sweep']);
    expect(q.commands.map((c) => c.name())).toEqual(['sweep', 'worker']); // the stand-ins, for `peft --help`
  });

  it('an error inside the package other than "not found" is not mistaken for a missing package', async () => {
    const p = program();
    await expect(registerOptionalCommands(p, io, 'sweep', () => Promise.reject(new SyntaxError('bad export')))).rejects.toThrow(SyntaxError);
  });

  it('the real CLI: `peft sweep plan` reaches @peft/sweep (a workspace package here)', async () => {
    const err: string[] = [];
    const code = await main(['sweep', 'plan', '/nonexistent/sweep.yaml'], { out: () => undefined, err: (l) => err.push(l) });
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/\/nonexistent\/sweep\.yaml: cannot be read/);
  });
});
