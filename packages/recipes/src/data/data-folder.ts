import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { DataFileError } from '../errors.js';

/** The environment variables of the data folder: the cache's root, a data folder to read, a mirror to download from. */
export const DATA_ENV = { home: 'PEFT_HOME', data: 'PEFT_DATA', mirror: 'PEFT_DATA_MIRROR' } as const;

type Env = Readonly<Record<string, string | undefined>>;

/** `$PEFT_HOME`, default `~/.cache/peft`. */
export function peftHome(env: Env = process.env): string {
  return env[DATA_ENV.home] ? resolve(env[DATA_ENV.home]!) : join(homedir(), '.cache', 'peft');
}

/** The download cache `peft data get` fills: `$PEFT_HOME/data`, in the data folder layout. */
export function dataCacheDir(env: Env = process.env): string {
  return join(peftHome(env), 'data');
}

/**
 * The data folder that holds `task`'s `files` (paths in the data folder layout): `--data` when given, else
 * `$PEFT_DATA` when it holds them, else the cache. When none does, a {@link DataFileError} names the first missing file
 * and the `peft data get` command that fetches it.
 */
export function findDataDir(task: string, files: readonly string[], given?: string, env: Env = process.env): string {
  const has = (dir: string): string | undefined => files.find((f) => !existsSync(join(dir, f)));
  if (given) {
    const dir = resolve(given);
    if (!existsSync(dir)) throw new DataFileError(dir, `the --data folder does not exist (\`peft data get ${task} --dir ${given}\` fetches ${task} there)`);
    const missing = has(dir);
    if (missing) throw new DataFileError(join(dir, missing), `not found in the --data folder; \`peft data get ${task} --dir ${given}\` fetches it there`);
    return dir;
  }
  const candidates = [...(env[DATA_ENV.data] ? [resolve(env[DATA_ENV.data]!)] : []), dataCacheDir(env)];
  for (const dir of candidates) if (!has(dir)) return dir;
  const where = candidates.map((d, i) => `${d}${i === 0 && env[DATA_ENV.data] ? ' ($PEFT_DATA)' : ' (the cache)'}`).join(' or ');
  const cache = candidates[candidates.length - 1]!;
  throw new DataFileError(join(cache, has(cache)!), `no ${task} data in ${where}: run \`peft data get ${task}\` (or pass --data DIR)`);
}
