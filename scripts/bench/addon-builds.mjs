// Two builds of @peft/blas's addon loaded side by side, for the benches that compare them on the same operands
// (gemm-builds.mjs, loss-builds.mjs): the built one (packages/blas/build/Release/peft_blas.node) and `against`, a copy of
// that file from another commit (a path relative to the working directory), both on `threads` threads with the own
// GEMM on the vector path `isa` (auto: the best this CPU has).
import { createRequire } from 'node:module';

export function addonBuilds({ against, threads = 2, isa = 'auto' }) {
  if (!against) throw new Error('against=<path to another peft_blas.node> is required');
  const require = createRequire(import.meta.url);
  const builds = [require('../../packages/blas/build/Release/peft_blas.node'), require(new URL(against, `file://${process.cwd()}/`).pathname)];
  for (const x of builds) {
    x.setThreads(+threads);
    x.selectKernels('own', isa);
  }
  return builds;
}
