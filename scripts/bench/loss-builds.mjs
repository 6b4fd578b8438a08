// The LM loss's two fused passes over one chunk of logits [rows × V] (GPT-2 small's 339 × 50,257), run by two builds
// of @peft/blas's addon on the same logits, alternately: the built one and `against` (a copy of
// packages/blas/build/Release/peft_blas.node from another commit). Checks that both give the same statistics and
// gradient.
// Usage: node scripts/bench/loss-builds.mjs against=path/to/other/peft_blas.node [rows=339] [vocab=50257] [threads=2]
//        [reps=25]
// Prints one JSON line: median ms of each pass for each build, and the largest differences between the builds.
import { addonBuilds } from './addon-builds.mjs';
import { middleValue } from './medians.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const builds = addonBuilds({ against: args.against, threads: args.threads });
const rows = +(args.rows ?? 339), cols = +(args.vocab ?? 50257), reps = +(args.reps ?? 25), eps = 0.1;
const z = Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37) * 3);
const labels = new Float32Array(new Int32Array(rows).map((_, i) => (i * 7919) % cols).buffer); // int32 seen as float32
const weights = new Float32Array(rows).fill(1 / rows);
const stats = builds.map(() => new Float32Array(2 * rows)), grads = builds.map(() => new Float32Array(rows * cols));
const lse = new Float32Array(rows);
const times = builds.map(() => ({ stats: [], grad: [] }));
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
for (let r = 0; r < reps + 3; r++) {
  for (const b of r % 2 ? [1, 0] : [0, 1]) {
    let t0 = process.hrtime.bigint();
    builds[b].softmaxCrossEntropy(z, 0, labels, 0, stats[b], 0, rows, cols, eps);
    const ts = ms(t0);
    for (let i = 0; i < rows; i++) lse[i] = stats[b][2 * i];
    t0 = process.hrtime.bigint();
    builds[b].softmaxCrossEntropyGrad(z, 0, lse, 0, labels, 0, weights, 0, grads[b], 0, rows, cols, eps);
    const tg = ms(t0);
    if (r >= 3) times[b].stats.push(ts), times[b].grad.push(tg);
  }
}
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const [built, other] = times.map((t) => ({ stats: middleValue(t.stats), grad: middleValue(t.grad) }));
console.log(JSON.stringify({
  rows, vocab: cols,
  stats_ms: { built: +built.stats.toFixed(2), against: +other.stats.toFixed(2), built_over_against: +(built.stats / other.stats).toFixed(3) },
  grad_ms: { built: +built.grad.toFixed(2), against: +other.grad.toFixed(2), built_over_against: +(built.grad / other.grad).toFixed(3) },
  max_difference: { stats: maxDiff(stats[0], stats[1]), grad: maxDiff(grads[0], grads[1]) },
}));
