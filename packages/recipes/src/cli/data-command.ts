import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DATA_CATALOGUE, DATA_TASKS, taskData } from '../data/catalogue.js';
import { DATA_ENV, dataCacheDir, findDataDir } from '../data/data-folder.js';
import type { ProgressListener } from '../data/fetch-file.js';
import { valueOption, type CliIo } from './option-parsers.js';

/**
 * `peft data list|get|path`: the data sets of the recipes, downloaded from their official sources (or a mirror) into
 * the cache `$PEFT_HOME/data` with a sha256 per file. Every command that needs data reads `--data`, then
 * `$PEFT_DATA`, then the cache.
 */
export function registerDataCommands(program: Command, io: CliIo): void {
  const data = program
    .command('data')
    .summary('download the data sets (WebNLG 2017, SST-2, MNLI, CoQA) into the cache, list them, print their folder')
    .description(
      `Downloads each task's files from their official sources, or from a mirror, into a data folder (default the cache ` +
        `$${DATA_ENV.home}/data, $${DATA_ENV.home} defaulting to ~/.cache/peft), verifying a sha256 per file. Commands that ` +
        `need data read --data, then $${DATA_ENV.data}, then the cache.`,
    );
  const dirOption = () => valueOption('--dir <dir>', 'the data folder to fill or inspect', { defaultText: `$${DATA_ENV.home}/data` });

  data
    .command('list')
    .description('each task, its files, their sizes, and whether the data folder holds them verified')
    .addOption(dirOption())
    .action(async (o: { dir?: string }) => {
      const dir = o.dir ? resolve(o.dir) : dataCacheDir();
      io.out(`data folder: ${dir}`);
      for (const task of DATA_TASKS) {
        const entry = taskData(task);
        const states = await (await downloader()).inspectData(task, dir);
        const bytes = entry.files.reduce((n, f) => n + (f.size ?? 0), 0);
        const unknown = entry.files.some((f) => f.size === undefined);
        const ready = states.every((s) => s.status === 'verified' || s.status === 'present');
        io.out(`${task}: ${entry.title}; ${entry.files.length} files, ${unknown ? '≥ ' : ''}${mb(bytes)}; ${ready ? 'cached' : `not cached (peft data get ${task})`}`);
        for (const s of states) io.out(`  ${s.file.path}  ${s.file.size !== undefined ? mb(s.file.size) : 'size unknown'}  ${STATUS_TEXT[s.status]}`);
      }
    });

  data
    .command('get')
    .description(`downloads tasks' files (${DATA_TASKS.join(', ')}) and verifies them; prints the data folder`)
    .argument('<task...>', `one or more of ${DATA_TASKS.join(', ')}`)
    .addOption(dirOption())
    .addOption(
      valueOption('--mirror <url|dir>', 'take the files from a mirror in the data folder layout instead of the official sources', {
        parse: Object.assign((v: string) => v, { expects: 'text, an http or https URL or a folder' }),
      }).env(DATA_ENV.mirror),
    )
    .action(async (tasks: string[], o: { dir?: string; mirror?: string }) => {
      for (const task of tasks) taskData(task);
      const dir = o.dir ? resolve(o.dir) : dataCacheDir();
      const { closeDownloadClient, getData, parseMirror } = await downloader();
      const source = parseMirror(o.mirror);
      try {
        for (const task of tasks) {
          io.err(`data: ${task} into ${dir} from ${source.kind === 'official' ? 'the official sources' : `the mirror ${source.kind === 'url' ? source.base : source.dir}`}`);
          const states = await getData(task, { dir, source, log: (l) => io.err(`data: ${l}`), onProgress: progressLines(io) });
          const fetched = states.filter((s) => s.state === 'fetched').length;
          io.err(`data: ${task}: ${states.length} files ready (${fetched} fetched, ${states.length - fetched} already cached)`);
        }
      } finally {
        await closeDownloadClient();
      }
      io.out(dir);
    });

  data
    .command('path')
    .description(`prints the folder a command would read a task's data from: --data, else $${DATA_ENV.data}, else the cache`)
    .argument('<task>', DATA_TASKS.join(', '))
    .addOption(valueOption('--data <dir>', 'a data folder to check instead'))
    .action((task: string, o: { data?: string }) => {
      const entry = taskData(task, DATA_CATALOGUE);
      io.out(findDataDir(task, entry.files.map((f) => f.path), o.data));
    });
}

/** The data folder's environment variables, for `peft --help` (aligned with the backend's). */
export const DATA_ENVIRONMENT_HELP = [
  [`${DATA_ENV.home}=DIR`, "the cache's root (default ~/.cache/peft); peft data get writes DIR/data"],
  [`${DATA_ENV.data}=DIR`, 'the data folder commands read before the cache (after --data)'],
  [`${DATA_ENV.mirror}=URL|DIR`, 'where peft data get takes files instead of the official sources'],
  ['HTTPS_PROXY, HTTP_PROXY, NO_PROXY', "the proxy of peft data get's downloads"],
]
  .map(([name, meaning]) => `  ${name!.padEnd(37)}${meaning}`)
  .join('\n');

const STATUS_TEXT = {
  absent: 'absent',
  present: 'cached (NOT verified: no published checksum)',
  verified: 'cached, sha256 verified',
  corrupt: 'CORRUPT (differs from its checksum; peft data get fetches it again)',
} as const;

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

/**
 * Progress on stderr: for each file of 1 MB or more (or of unknown size), a line when it starts and at each quarter of
 * it (plain lines, so logs stay readable).
 */
/**
 * The download code (undici, yauzl), loaded by the data commands alone: a static import cost every `peft` command
 * ~0.1 s of start-up to load an HTTP client it never uses.
 */
async function downloader() {
  const [getData, fetchFile] = await Promise.all([import('../data/get-data.js'), import('../data/fetch-file.js')]);
  return { ...getData, closeDownloadClient: fetchFile.closeDownloadClient };
}

function progressLines(io: CliIo): ProgressListener {
  let current = '';
  let shown = -1;
  return (file, received, total) => {
    if (total !== undefined && total < 1e6) return;
    if (file !== current) {
      current = file;
      shown = -1;
    }
    const quarter = total ? Math.floor((4 * received) / total) : 0;
    if (quarter > shown) {
      shown = quarter;
      io.err(`data: ${file} ${total ? `${Math.min(100, quarter * 25)}% of ${mb(total)}` : `${mb(received)}`}`);
    }
  };
}
