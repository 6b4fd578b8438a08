import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { FileSystemError, makeDirectory, processAlive, removeStaleTempFiles, toFileSystemError } from '@peft/core';
import { RunFolderBusyError, UsageError } from '../errors.js';
import { hasCheckpoint } from '../train/checkpoint.js';

/**
 * A run's output folder, written as `<out>.partial` and renamed to `<out>` when the run succeeds, so a failed run leaves
 * no half-written output under the final name. Its states, and what each command does with them:
 *
 * - no `.partial`: a plain run creates it; `--resume` is refused (nothing to resume).
 * - `.partial` without a checkpoint (killed before its first one): a plain run replaces it, `--resume` starts it at
 *   step 0 — both say so.
 * - `.partial` with a checkpoint: `--resume` continues it; a plain run is refused (it would throw the work away).
 *
 * A running process holds the folder with a pid file; a second run on the same folder is refused while that process
 * lives. Opening it removes the temporary files a killed atomic write left behind. A run that fails on bad input before
 * training removes the folder it created.
 */
/** In the partial folder while a run holds it: the holder's host name and pid (removed before the rename to OUT). */
export const RUN_LOCK_FILE = '.peft-run.pid';

export class OutputDir {
  readonly partial: string;
  private created = false;
  constructor(
    readonly final: string,
    readonly resume: boolean,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.partial = `${final}.partial`;
  }
  async open(): Promise<string> {
    if (existsSync(this.final)) throw new UsageError(`${this.final} already exists; choose another --out or remove it`);
    const interrupted = existsSync(this.partial);
    if (interrupted && !statSync(this.partial).isDirectory()) {
      throw new FileSystemError(this.partial, 'ENOTDIR', 'use it as the run folder (a file of that name is in the way)');
    }
    if (interrupted) this.refuseIfBusy();
    if (this.resume) {
      if (!interrupted) throw new UsageError(`--resume: ${this.partial} does not exist (nothing to resume)`);
    } else if (interrupted) {
      if (hasCheckpoint(this.partial)) {
        throw new UsageError(`${this.partial} holds the checkpoint of an interrupted run: add --resume to continue it, or remove it`);
      }
      this.log(`${this.partial}: an interrupted run that wrote no checkpoint; starting it again`);
      try {
        rmSync(this.partial, { recursive: true, force: true });
      } catch (e) {
        throw toFileSystemError(e, this.partial, 'remove the interrupted run folder');
      }
    }
    if (!interrupted || !this.resume) {
      await makeDirectory(this.partial);
      this.created = true;
    }
    try {
      // written whole, then renamed into place: a second run never reads a lock file without its pid in it
      const lock = join(this.partial, RUN_LOCK_FILE);
      writeFileSync(`${lock}.${process.pid}.tmp`, `${hostname()} ${process.pid}\n`);
      renameSync(`${lock}.${process.pid}.tmp`, lock);
    } catch (e) {
      throw toFileSystemError(e, join(this.partial, RUN_LOCK_FILE), 'write');
    }
    const stale = await removeStaleTempFiles(this.partial);
    if (stale.length) this.log(`removed ${stale.length} temporary file(s) an interrupted write left: ${stale.join(', ')}`);
    return this.partial;
  }
  /** Whether `--resume` found a checkpoint to continue from (false: the interrupted run starts again at step 0). */
  canResume(): boolean {
    return this.resume && hasCheckpoint(this.partial);
  }
  /** Another `peft` process, alive, holds the folder (its pid in the lock file): replacing or resuming it would wreck both. */
  private refuseIfBusy(): void {
    let holder: string[];
    try {
      holder = readFileSync(join(this.partial, RUN_LOCK_FILE), 'utf8').trim().split(' ');
    } catch {
      return; // no lock: no run has it (or one from before locks)
    }
    const [host, pidText] = holder;
    const pid = Number(pidText);
    // a pid of another machine (a shared folder) cannot be probed from here: such a folder is taken over as before
    if (host === hostname() && Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new RunFolderBusyError(this.partial, pid);
    }
  }
  /** Removes the partial folder if this run created it (bad input found before any training). */
  discard(): void {
    if (this.created) rmSync(this.partial, { recursive: true, force: true });
  }
  commit(): void {
    try {
      rmSync(join(this.partial, RUN_LOCK_FILE), { force: true });
      renameSync(this.partial, this.final);
    } catch (e) {
      throw toFileSystemError(e, this.final, `rename ${this.partial} to it`);
    }
  }
}
