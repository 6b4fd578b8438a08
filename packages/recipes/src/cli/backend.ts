import { selectBackend } from '@peft/core';

/**
 * Picks the TensorFlow.js backend for a command that computes (the CLI picks; the packages never do) and logs which:
 * the fastest installed of tfjs-node-gpu, tfjs-node, wasm, cpu, or those named in PEFT_BACKEND (comma-separated).
 * On wasm and cpu it also installs the optional @peft/blas kernels unless PEFT_BLAS=0.
 */
export async function useBackend(log: (line: string) => void): Promise<void> {
  const only = process.env.PEFT_BACKEND ? process.env.PEFT_BACKEND.split(',') : undefined;
  const choice = await selectBackend(only ? { only } : {});
  log(`backend: ${choice.backend}${choice.pkg ? ` (${choice.pkg})` : ''}: ${choice.note}`);
  if (choice.backend === 'wasm' || choice.backend === 'cpu') log(await useNativeKernels(choice.backend));
}

/**
 * The optional @peft/blas accelerator (its own GEMM or the system BLAS, native elementwise, fused and copy kernels)
 * for the wasm and cpu backends: used when it loads, unless PEFT_BLAS=0. Returns the line to log, which names the
 * GEMM in use.
 */
async function useNativeKernels(backend: 'wasm' | 'cpu'): Promise<string> {
  if (process.env.PEFT_BLAS === '0') return 'kernels: tfjs\'s own (PEFT_BLAS=0)';
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
  PEFT_BACKEND=wasm|cpu|tensorflow|…   use only these TensorFlow.js backends (comma-separated; default: the fastest installed
                                       of tfjs-node-gpu, tfjs-node, wasm, cpu)
  PEFT_BLAS=0                          do not load the optional @peft/blas native kernels on wasm/cpu
  PEFT_BLAS_GEMM=own                   run @peft/blas's own GEMM even where OpenBLAS / Accelerate is built in beside it`;
