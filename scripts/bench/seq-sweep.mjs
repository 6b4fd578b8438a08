// How a step's cost grows with the sequence length at a fixed number of tokens B·T (GPT-2 small, the inducer-lora
// step of peft-step.mjs): T 128 → 1,024 with the tiled attention (PeftAttentionTiled + Grad) and without it (round 3's
// dense path, planned as `peft train` planned it then), each with the backend and rematerialised blocks that `peft
// train` picks for the shape (step-settings.mjs). Prints one JSON line per run, then the growth ratios.
// Usage: node scripts/bench/seq-sweep.mjs [tokens=1024] [seqs=128,1024] [steps=3] [layers=12] [paths=tiled,dense]
import { execFileSync } from 'node:child_process';
import { stepSettings } from './step-settings.mjs';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.split('=')));
const tokens = +(args.tokens ?? 1024), steps = +(args.steps ?? 3), layers = args.layers ? +args.layers : undefined;
const seqs = (args.seqs ?? '128,1024').split(',').map(Number);
const paths = (args.paths ?? 'tiled,dense').split(',');
const rows = [];
for (const path of paths) {
  for (const seq of seqs) {
    const batch = Math.max(1, Math.round(tokens / seq));
    const s = stepSettings({ model: 'small', batch, seq, layers, tiled: path === 'tiled' });
    const argv = ['scripts/bench/peft-step.mjs', `backend=${s.backend}`, `remat=${s.remat}`, 'model=small', `batch=${batch}`, `seq=${seq}`, `steps=${steps}`,
      ...(layers ? [`layers=${layers}`] : []), ...(path === 'dense' ? ['without=tiled-attention'] : [])];
    const out = execFileSync(process.execPath, argv, { encoding: 'utf8', maxBuffer: 1 << 26 });
    const r = JSON.parse(out.trim().split('\n').pop());
    // CPU seconds of the process per step (all threads): on a shared machine a steadier measure of work than wall time
    const steadyCpu = (r.cpu_s.length > 1 ? r.cpu_s.slice(1) : r.cpu_s).sort((a, b) => a - b);
    const cpu = steadyCpu[Math.floor(steadyCpu.length / 2)];
    const row = { path, batch, seq, backend: r.backend, remat: r.remat, median_s: r.median_s, cpu_s: cpu, peak_rss_mb: Math.round(r.peak_rss_mb), loss: r.loss, plan: s.reason };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
for (const path of paths) {
  const mine = rows.filter((r) => r.path === path);
  const first = mine[0], last = mine[mine.length - 1];
  if (first && last && first !== last) {
    console.log(`${path}: T ${first.seq} → ${last.seq} at B·T ${tokens}: step ×${(last.median_s / first.median_s).toFixed(2)} (CPU time ×${(last.cpu_s / first.cpu_s).toFixed(2)}), peak RSS ×${(last.peak_rss_mb / first.peak_rss_mb).toFixed(2)} (${last.backend}, ${last.remat} rematerialised at T ${last.seq})`);
  }
}
