import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assertFiniteValues, entryToTensor, entryToTypedArray, readSafetensorsFile, typedArrayToEntry, writeSafetensorsFile, type SafetensorsEntry } from '@peft/core';
import { NonFiniteError, ResumeError } from '../errors.js';
import type { AdamW } from './adamw.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/** Everything besides tensors that a resumed run needs to continue exactly. */
export interface LoopState {
  /** Optimizer steps done. */
  readonly step: number;
  /** Epoch being run (0-based) and micro-batches of it already consumed: the data-order state. */
  readonly epoch: number;
  readonly batchInEpoch: number;
  readonly seed: number;
  readonly totalSteps: number;
  /** Early stopping and best-checkpoint state. */
  readonly best: { readonly value: number; readonly epoch: number } | null;
  readonly badEpochs: number;
  readonly validatedEpochs: number;
  readonly done: boolean;
}

/**
 * Writes a training checkpoint as one safetensors file, atomically (temp file, fsync, rename): the trainable variables
 * (`param/<name>`), the AdamW moments (`adam_m/<name>`, `adam_v/<name>`), and the loop state and optimizer step as JSON
 * metadata. A kill at any moment leaves the previous checkpoint or the new one.
 */
export async function writeCheckpoint(dir: string, optimizer: AdamW, state: LoopState): Promise<void> {
  const entries = new Map<string, SafetensorsEntry>();
  for (const [i, [name, p]] of optimizer.params.entries()) {
    for (const [prefix, t] of [['param', p], ['adam_m', optimizer.m[i]!], ['adam_v', optimizer.v[i]!]] as const) {
      const values = (await t.data()) as Float32Array;
      // a checkpoint is only ever a good state: a non-finite one would poison every resume
      if (!allFinite(values)) {
        throw new NonFiniteError(state.step, `tensor '${prefix}/${name}'`, `no checkpoint written; ${join(dir, CHECKPOINT_FILE)} keeps the last good state`);
      }
      entries.set(`${prefix}/${name}`, typedArrayToEntry(values, p.shape, 'F32'));
    }
  }
  await writeSafetensorsFile(join(dir, CHECKPOINT_FILE), entries, {
    format: 'peft-train-checkpoint',
    state: JSON.stringify(state),
    optimizer_step: String(optimizer.step),
  });
}

export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, CHECKPOINT_FILE));
}

/** Restores variables, moments and optimizer step from a checkpoint; returns the loop state. */
export async function readCheckpoint(dir: string, optimizer: AdamW): Promise<LoopState> {
  const path = join(dir, CHECKPOINT_FILE);
  if (!existsSync(path)) throw new ResumeError(path, 'no checkpoint to resume from (run without --resume first)');
  const file = await readSafetensorsFile(path);
  if (file.metadata.format !== 'peft-train-checkpoint' || !file.metadata.state) {
    throw new ResumeError(path, 'not a @peft training checkpoint (no state metadata)');
  }
  let state: LoopState;
  try {
    state = JSON.parse(file.metadata.state) as LoopState;
  } catch (e) {
    throw new ResumeError(path, `its state metadata is not valid JSON (${(e as Error).message})`);
  }
  const names = new Set(optimizer.params.map(([n]) => n));
  for (const key of file.tensors.keys()) {
    const name = key.slice(key.indexOf('/') + 1);
    if (!names.has(name)) throw new ResumeError(path, `holds '${key}', which this run does not train (another preset or model?)`);
  }
  // every tensor is checked (present, shaped, finite) before any is assigned: a bad checkpoint leaves the run as it was
  const slots = (i: number) => [['param', optimizer.params[i]![1]], ['adam_m', optimizer.m[i]!], ['adam_v', optimizer.v[i]!]] as const;
  optimizer.params.forEach(([name, p], i) => {
    for (const [prefix] of slots(i)) {
      const e = file.tensors.get(`${prefix}/${name}`);
      if (!e) throw new ResumeError(path, `tensor '${prefix}/${name}' is missing (another preset or model?)`);
      if (e.shape.length !== p.shape.length || e.shape.some((d, k) => d !== p.shape[k])) {
        throw new ResumeError(path, `tensor '${prefix}/${name}' has shape [${e.shape.join(', ')}], this run needs [${p.shape.join(', ')}]`);
      }
      assertFiniteValues(entryToTypedArray(e, `${prefix}/${name}`, path), `${prefix}/${name}`, path);
    }
  });
  optimizer.params.forEach(([name], i) => {
    for (const [prefix, target] of slots(i)) {
      const t = entryToTensor(file.tensors.get(`${prefix}/${name}`)!, `${prefix}/${name}`, path);
      target.assign(t);
      t.dispose();
    }
  });
  optimizer.step = Number(file.metadata.optimizer_step ?? state.step);
  return state;
}

/** Whether every value is finite (no NaN, no ±Infinity). */
export function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return false;
  return true;
}
