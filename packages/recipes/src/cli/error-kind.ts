import * as tf from '@tensorflow/tfjs-core';
import { isPeftError, type PeftErrorKind } from '@peft/core';
import { heapExhaustedMessage, isWasmHeapExhausted } from './heap-exhausted.js';

/** The exit code of each kind of error (PeftErrorKind in @peft/core); `peft --help` lists them. */
export const EXIT_CODES: Readonly<Record<PeftErrorKind, number>> = { input: 2, data: 1, environment: 1, internal: 70 };

/** What a command's failure is: whose fault (`kind`), the exit code, and the message to show. */
export interface ErrorClass {
  readonly kind: PeftErrorKind;
  readonly exitCode: number;
  readonly message: string;
}

/**
 * How any thrown value is reported, one rule for the CLI's exit code and the `failed` event of `peft train
 * --events`: a PeftError (of any @peft package, any copy) by its kind and its own exit code if it carries one (130/143
 * for a run a signal stopped, 69 for a service that is down); the wasm heap running out and an operating-system fault
 * (ENOSPC, EACCES, …) are `environment`; anything else is a bug (`internal`).
 */
export function classifyError(e: unknown): ErrorClass {
  if (isWasmHeapExhausted(e, () => tf.getBackend())) return { kind: 'environment', exitCode: EXIT_CODES.environment, message: heapExhaustedMessage(e as Error) };
  if (isPeftError(e)) return { kind: e.kind, exitCode: e.exitCode ?? EXIT_CODES[e.kind], message: e.message };
  if (isSystemError(e)) return { kind: 'environment', exitCode: EXIT_CODES.environment, message: e.message };
  return { kind: 'internal', exitCode: EXIT_CODES.internal, message: e instanceof Error ? e.message : String(e) };
}

/** An error Node raised for a system call: it carries the errno `code` (e.g. 'ENOSPC') and the `syscall`. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).syscall === 'string' && /^E[A-Z0-9]+$/.test(String((e as NodeJS.ErrnoException).code));
}
