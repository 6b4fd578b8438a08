import { selectBackend, type BackendChoice } from '@peft/core';
import type { TrainSettings } from './run-context.js';
import { planTraining } from './training-backend.js';

/**
 * The backend of a `peft` command: the fastest that loads (@peft/core's order: tfjs-node-gpu, WebGPU on a hardware
 * adapter, tfjs-node, wasm, cpu), or those named in PEFT_BACKEND (comma-separated; `webgpu` there also takes a
 * software adapter). Logs the choice, the WebGPU adapter when there is one, why each better backend was skipped, and
 * the kernels in use; on wasm and cpu it enables @peft/blas.
 */
export async function useBackend(
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
  planned?: { readonly backend: string; readonly reason: string },
  selected?: BackendChoice,
): Promise<BackendChoice> {
  const forced = forcedBackends(env);
  const only = forced ?? (planned ? [planned.backend] : undefined);
  // a choice already made for this backend is kept (selecting again would probe and initialise a device twice)
  const choice = selected && (!only || only.some((o) => o === selected.backend || o === selected.pkg)) ? selected : await selectBackend(only ? { only } : {});
  const why = planned?.reason ?? choice.note;
  log(`backend: ${choice.backend}${choice.pkg ? ` (${choice.pkg})` : ''}: ${why}${forced ? ` [PEFT_BACKEND=${forced.join(',')}]` : ''}`);
  for (const s of choice.skipped) log(`  skipped ${s.pkg ?? 'built-in'}: ${s.reason}`);
  for (const line of choice.notes ?? []) log(line);
  if (choice.backend === 'wasm' || choice.backend === 'cpu') log(await useNativeKernels(choice.backend, env));
  return choice;
}

/**
 * The backend of a training run (`peft train`, `peft demo`). Where the fastest backend that loads is wasm or cpu, the
 * one the model's step fits (src/train/memory-plan.ts: wasm while the step fits its 4 GiB heap and runs faster there,
 * else cpu with @peft/blas's kernels), logged with the reason, and as many blocks keeping their activations as fit:
 * returns the `checkpointBlocks` to train with unless --checkpoint-blocks was given. A faster backend (tfjs-node,
 * WebGPU on a hardware adapter) is used as `useBackend` picks it; PEFT_BACKEND still forces one.
 */
export async function useTrainingBackend(
  s: Omit<TrainSettings, 'log'>,
  log: (line: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Pick<TrainSettings, 'checkpointBlocks'>> {
  const forced = forcedBackends(env);
  const first = await selectBackend(forced ? { only: forced } : {});
  if (first.backend !== 'wasm' && first.backend !== 'cpu') {
    await useBackend(log, env, { backend: first.backend, reason: first.note }, first);
    return {};
  }
  // wasm or cpu: the memory plan says which the step fits and how many blocks to keep — within the forced backend when
  // PEFT_BACKEND names one
  const native = env.PEFT_BLAS !== '0' && (await blasLoads());
  const plan = await planTraining(s, native, forced ? first.backend : undefined);
  await useBackend(log, env, plan, first);
  return s.checkpointBlocks === undefined ? { checkpointBlocks: plan.rematerialised } : {};
}

function forcedBackends(env: NodeJS.ProcessEnv): string[] | undefined {
  return env.PEFT_BACKEND ? env.PEFT_BACKEND.split(',').map((x) => x.trim()).filter(Boolean) : undefined;
}

async function blasLoads(): Promise<boolean> {
  try {
    const specifier = '@peft/blas';
    return ((await import(/* @vite-ignore */ specifier)) as typeof import('@peft/blas')).blasAvailability().available;
  } catch {
    return false;
  }
}

/**
 * The optional @peft/blas accelerator (its own GEMM or the system BLAS, native elementwise, fused and copy kernels)
 * for the wasm and cpu backends: used when it loads, unless PEFT_BLAS=0. Returns the line to log, which names the
 * GEMM in use (@peft/blas reads PEFT_BLAS_GEMM itself when it loads).
 */
async function useNativeKernels(backend: 'wasm' | 'cpu', env: NodeJS.ProcessEnv): Promise<string> {
  if (env.PEFT_BLAS === '0') return 'kernels: tfjs\'s own (PEFT_BLAS=0)';
  let blas: typeof import('@peft/blas');
  try {
    const specifier = '@peft/blas'; // optional: a computed specifier keeps bundlers from requiring it
    blas = (await import(/* @vite-ignore */ specifier)) as typeof import('@peft/blas');
  } catch (e) {
    return `kernels: tfjs's own (@peft/blas not installed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)})`;
  }
  const status = blas.registerBlasKernels({ backends: [backend] }); // a bad PEFT_BLAS_GEMM / PEFT_BLAS_ISA throws its ConfigError
  if (!status.available) return `kernels: tfjs's own (@peft/blas unavailable: ${status.reason})`;
  const gemm = { own: 'own', openblas: 'OpenBLAS', accelerate: 'Accelerate' }[status.gemm ?? 'own'];
  return `kernels: @peft/blas native, ${gemm} GEMM: ${(status.kernels ?? []).join(', ')} (${status.config})`;
}

/** The environment variables the commands read, for `peft --help`. */
export const ENVIRONMENT_HELP = `Environment:
  PEFT_BACKEND=webgpu|wasm|cpu|…       use only these TensorFlow.js backends (comma-separated; default: the fastest installed
                                       of tfjs-node-gpu, webgpu on a hardware adapter, tfjs-node, wasm, cpu); webgpu named
                                       here also runs on a software adapter (llvmpipe)
  PEFT_BLAS=0                          do not load the optional @peft/blas native kernels on wasm/cpu
  PEFT_MEMORY_BUDGET_GB=N              what a training run may take on the cpu backend (default half of this machine's
                                       memory); peft train uses wasm while the step fits its 4 GiB heap and runs faster there
  PEFT_BLAS_GEMM=own                   run @peft/blas's own GEMM even where OpenBLAS / Accelerate is built in beside it
  PEFT_WEBGPU_FUSED=0                  do not register @peft/webgpu's fused kernels (to measure them)
  PEFT_WEBGPU_API=vulkan,opengl        the graphics APIs Dawn tries for WebGPU, in order`;
