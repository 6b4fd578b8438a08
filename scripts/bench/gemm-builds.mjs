// Chosen products, each run by two builds of @peft/blas's addon on the same operands, alternately call by call: the
// built one (packages/blas/build/Release/peft_blas.node) and `against` (a copy of that file from another commit). For
// changes to the GEMM's driver and threading that step-gemm-shapes.mjs (the products inside a step) shows only
// together with everything else the step does.
// Usage: node scripts/bench/gemm-builds.mjs against=path/to/other/peft_blas.node [threads=2] [reps=60]
//        [isa=auto|avx512|avx2|baseline|neon] [shapes=batch:m:n:k[:T|:TT|:NT],...]
// A shape is batch items of op(A) [m × k] · op(B) [k × n]; a suffix marks transposes (the first letter A's, the second
// B's: T transposed, N not). Default: the products the threading and narrow-product changes of round 4 touched
// (the inducer's 96 per-head products of rank 5, the LM head's dz·E, x·W_proj, x·W_o).
// Prints one JSON line per shape: median µs of each build, built/against, GFLOP/s, and the largest difference of the
// two results (0: bit for bit).
import { addonBuilds } from './addon-builds.mjs';
import { middleValue } from './medians.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const threads = +(args.threads ?? 2), reps = +(args.reps ?? 60);
const [built, other] = addonBuilds({ against: args.against, threads, isa: args.isa });
const shapes = (args.shapes ?? '96:128:5:64,96:128:64:5,96:64:5:128:TN,96:5:64:128:TN,1:339:768:50257,1:1024:768:3072,1:1024:768:768')
  .split(',')
  .map((s) => {
    const [batch, m, n, k, t = 'NN'] = s.split(':');
    return { batch: +batch, m: +m, n: +n, k: +k, ta: t[0] === 'T', tb: t[1] === 'T' };
  });

let seed = 1;
const random = (n) => Float32Array.from({ length: n }, () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32) - 0.5);
for (const { batch, m, n, k, ta, tb } of shapes) {
  const a = random(batch * m * k), b = random(batch * k * n);
  const out = [new Float32Array(batch * m * n), new Float32Array(batch * m * n)];
  const run = (x, c) => {
    const t0 = process.hrtime.bigint();
    x.sgemmBatched(a, 0, b, 0, c, 0, batch, m, n, k, ta, tb, m * k, k * n);
    return Number(process.hrtime.bigint() - t0) / 1e3;
  };
  const times = [[], []];
  for (let r = 0; r < reps + 3; r++) {
    const first = r % 2; // alternate which build goes first
    const t = [0, 0];
    t[first] = run(first ? other : built, out[first]);
    t[1 - first] = run(first ? built : other, out[1 - first]);
    if (r >= 3) times[0].push(t[0]), times[1].push(t[1]);
  }
  let diff = 0;
  for (let i = 0; i < out[0].length; i++) diff = Math.max(diff, Math.abs(out[0][i] - out[1][i]));
  const [us, usOther] = times.map(middleValue);
  const flops = 2 * batch * m * n * k;
  console.log(JSON.stringify({
    product: `${batch}× [${m}×${k}]${ta ? 'ᵀ' : ''}·[${k}×${n}]${tb ? 'ᵀ' : ''}`,
    threads,
    isa: args.isa ?? 'auto',
    built_us: +us.toFixed(1),
    against_us: +usOther.toFixed(1),
    built_over_against: +(us / usOther).toFixed(3),
    built_gflops: +(flops / us / 1e3).toFixed(1),
    against_gflops: +(flops / usOther / 1e3).toFixed(1),
    max_difference: diff,
  }));
}
