import type { ModelSpec } from '@peft/core';
import { presetParameterCount } from '@peft/mam';
import { describeModelFolder } from '@peft/recipes';

/** What a method adds to the model that must be stored, and that as a share of the frozen base. */
export interface ParameterShare {
  /** Parameters stored per task (the adapter file; prefix reparameterisation MLPs left out, spec §5). */
  readonly stored: number;
  readonly base: number;
  readonly percent: number;
}

/** A checkpoint's shape and parameter count, from its config.json alone (no weights are read). */
export async function checkpointSize(dir: string): Promise<{ spec: ModelSpec; base: number }> {
  const { spec, baseParameterCount } = await describeModelFolder(dir);
  return { spec, base: baseParameterCount };
}

/** A preset's stored parameters on a checkpoint (builds the method once on a tfjs backend, then disposes it). */
export async function presetShare(preset: string, modelDir: string): Promise<ParameterShare> {
  const { spec, base } = await checkpointSize(modelDir);
  const stored = presetParameterCount(preset, spec).stored;
  return { stored, base, percent: (100 * stored) / base };
}
