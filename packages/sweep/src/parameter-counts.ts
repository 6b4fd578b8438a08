import type { ModelSpec } from '@peft/core';
import { presetParameterCount } from '@peft/mam';
import { gpt2ParameterCount, gpt2Spec, modelTypeOf, parseGpt2Config, parseRobertaConfig, readCheckpointConfig, robertaParameterCount, robertaSpec } from '@peft/models-gpt2-roberta';

/** What a method adds to the model that must be stored, and that as a share of the frozen base. */
export interface ParameterShare {
  /** Parameters stored per task (the adapter file; prefix reparameterisation MLPs left out, spec §5). */
  readonly stored: number;
  readonly base: number;
  readonly percent: number;
}

/** A checkpoint's shape and parameter count, from its config.json alone (no weights are read). */
export async function checkpointSize(dir: string): Promise<{ spec: ModelSpec; base: number }> {
  const { json, path } = await readCheckpointConfig(dir);
  if (modelTypeOf(json) === 'gpt2') {
    const c = parseGpt2Config(json, path);
    return { spec: gpt2Spec(c), base: gpt2ParameterCount(c) };
  }
  const c = parseRobertaConfig(json, path);
  return {
    spec: robertaSpec(c),
    base: robertaParameterCount(c),
  };
}

/** A preset's stored parameters on a checkpoint (builds the method once on a tfjs backend, then disposes it). */
export async function presetShare(preset: string, modelDir: string): Promise<ParameterShare> {
  const { spec, base } = await checkpointSize(modelDir);
  const stored = presetParameterCount(preset, spec).stored;
  return { stored, base, percent: (100 * stored) / base };
}
