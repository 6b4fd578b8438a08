import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { PeftErrorKind } from '@peft/core';

/**
 * The events of a training run, one JSON object per line (`peft train --events FILE`): what a program that drives
 * `peft train` (the sweep's workers) reads instead of its human-readable messages. Each carries `v` (this format's
 * version; a new field keeps it, a changed or removed one bumps it), `type` and `time` (ISO 8601).
 */
export const TRAIN_EVENTS_VERSION = 2;

interface EventBase {
  readonly v: typeof TRAIN_EVENTS_VERSION;
  readonly time: string;
}

/**
 * A `failed` event's `kind` is the error's PeftErrorKind (@peft/core), as the exit code says it: `input` (an option,
 * a config value, a file's content: exit 2), `data` (a missing or corrupt data, model or adapter file: 1),
 * `environment` (the machine, a service, a signal: running again may succeed), `internal` (a bug: 70).
 */
export type TrainEvent = EventBase &
  (
    | { readonly type: 'started'; readonly task: string; readonly preset: string; readonly model: string; readonly out: string; readonly seed: number; readonly total_steps: number; readonly train_examples: number; readonly resume: boolean }
    | { readonly type: 'resumed'; readonly step: number }
    | { readonly type: 'step'; readonly step: number; readonly total_steps: number; readonly epoch: number; readonly loss: number; readonly lr: number }
    | { readonly type: 'checkpoint'; readonly step: number; readonly path: string }
    | { readonly type: 'evaluated'; readonly step: number; readonly epoch: number; readonly metrics: Readonly<Record<string, number>> }
    | { readonly type: 'finished'; readonly out: string; readonly steps: number; readonly metrics: Readonly<Record<string, number | string>>; readonly first_loss: number; readonly last_loss: number }
    | { readonly type: 'failed'; readonly kind: PeftErrorKind; readonly code: string | null; readonly message: string }
  );

/** An event as emitted: without `v` and `time`, which the log adds. */
export type TrainEventInput = TrainEvent extends infer E ? (E extends TrainEvent ? Omit<E, 'v' | 'time'> : never) : never;

/**
 * Appends events to a file, one line each, written at once (no buffering). `/dev/fd/N` writes to the inherited
 * descriptor N itself (a pipe or socket its parent reads, which cannot always be opened by that name).
 */
export class TrainEventLog {
  private fd: number | null;
  private readonly owned: boolean;
  constructor(readonly path: string) {
    const inherited = /^\/dev\/fd\/(\d+)$/.exec(path);
    this.owned = !inherited;
    this.fd = inherited ? Number(inherited[1]) : openSync(path, 'a');
  }

  emit(e: TrainEventInput): void {
    if (this.fd === null) return;
    const bytes = Buffer.from(JSON.stringify({ v: TRAIN_EVENTS_VERSION, time: new Date().toISOString(), ...e }) + '\n');
    let done = 0;
    for (let tries = 0; done < bytes.length; ) {
      try {
        done += writeSync(this.fd, bytes, done);
      } catch (err) {
        // a non-blocking pipe that is full: wait for its reader a little; else (EPIPE: the reader is gone, ENOSPC)
        // the run goes on without events
        if ((err as { code?: string }).code === 'EAGAIN' && ++tries < 2000) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        else return this.close();
      }
    }
  }

  close(): void {
    if (this.fd !== null && this.owned) closeSync(this.fd);
    this.fd = null;
  }
}

/** The events of a file; a torn last line (the run was killed while writing it) and unknown versions are left out. */
export function readTrainEvents(text: string): TrainEvent[] {
  const out: TrainEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as TrainEvent;
      if (e && e.v === TRAIN_EVENTS_VERSION && typeof e.type === 'string') out.push(e);
    } catch {
      // a torn line
    }
  }
  return out;
}

export function readTrainEventsFile(path: string): TrainEvent[] {
  return readTrainEvents(readFileSync(path, 'utf8'));
}
