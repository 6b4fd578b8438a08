/**
 * Whether an error is the wasm backend running out of its 4 GiB heap. Emscripten reports that as a
 * `WebAssembly.RuntimeError` ("memory access out of bounds" when an allocation failed silently, "Aborted(…)" when
 * malloc gave up), not as a typed error.
 */
export function isWasmHeapExhausted(e: unknown, backend: () => string): boolean {
  return e instanceof WebAssembly.RuntimeError && /memory access out of bounds|Aborted\(|Cannot enlarge memory/.test(e.message) && backend() === 'wasm';
}

/** What `peft` says instead of a stack trace. */
export function heapExhaustedMessage(e: Error): string {
  return (
    `the wasm backend's 4 GiB heap ran out (${e.message.split('\n')[0]}). Lower --batch-size (with --accum N to keep the ` +
    'effective batch) or --max-length, keep --checkpoint-blocks all (the default on wasm), or install ' +
    '@tensorflow/tfjs-node for native memory; docs/backends.md explains the limit'
  );
}
