// `npm run bench -- --backend webgpu`: the GPT-2-small-shaped training step and cached greedy decoding on WebGPU, side
// by side with the CPU path (wasm + @peft/blas) in the same run, interleaved, and the adapter they ran on; and the step
// on WebGPU without @peft/webgpu's fused kernels (GELU, LM loss, AdamW, norms, dropout masks), to show what they change;
// the step as it ran before issue 26's cut (three readbacks inside the step, tfjs's composed AdamW, norm and dropout
// masks); and what each step sends to the GPU (dispatches, submits, pipelines created, uploads, readbacks, copies:
// @peft/webgpu's countGpuWork), before and after.
// Options: --reduced (4 layers × 256 wide, vocab 50,257, B 4 × T 64: what a software adapter can run — it binds at most
// 128 MiB per buffer and GPT-2 small's token table is 154 MB), --rounds N, --steps N.
// Prints the figures of this run; docs/performance.md records them with the card's name.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median } from './medians.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

export function benchWebgpu(argv) {
  const flag = (f) => argv.includes(f);
  const opt = (f, d) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : d);
  const reduced = flag('--reduced');
  const steps = +opt('--steps', reduced ? 4 : 4);
  const rounds = +opt('--rounds', 2);
  const shape = reduced ? ['layers=4', 'embd=256', 'heads=4', 'batch=4', 'seq=64'] : ['layers=12', 'batch=8', 'seq=128'];
  const log = (s) => process.stderr.write(s + '\n');
  const node = (script, args, label) => {
    log(`· ${label}`);
    const r = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
    const line = (r.stdout || '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (r.status !== 0 || !line) {
      log(`  failed (exit ${r.status}): ${(r.stderr || '').split('\n').filter((l) => l && !/^(Warning|error: XDG| - While| {4}at )/.test(l)).slice(-3).join(' | ')}`);
      return null;
    }
    return JSON.parse(line);
  };
  const pooled = (runs) => median(runs.flatMap((r) => (r.steps_s.length > 1 ? r.steps_s.slice(1) : r.steps_s)));

  const gpu = [], unfused = [], cpu = [], before = [];
  for (let r = 0; r < rounds; r++) {
    const g = node('scripts/bench/peft-step.mjs', ['backend=webgpu', ...shape, `steps=${steps}`], `@peft step, webgpu (round ${r + 1}/${rounds})`);
    if (g) gpu.push(g);
    const b = node('scripts/bench/peft-step.mjs', ['backend=webgpu', 'step=host', 'without=adamw,reduce-total,dropout-mask,masked-softmax', ...shape, `steps=${steps}`], `@peft step, webgpu, as before issue 26's cut (round ${r + 1}/${rounds})`);
    if (b) before.push(b);
    const u = node('scripts/bench/peft-step.mjs', ['backend=webgpu', 'fused=0', ...shape, `steps=${steps}`], `@peft step, webgpu without fused kernels (round ${r + 1}/${rounds})`);
    if (u) unfused.push(u);
    const layers = reduced ? 4 : 12;
    const c = node('scripts/bench/peft-step.mjs', ['backend=wasm', 'blas=1', ...shape, `steps=${steps}`, `remat=${layers}`], `@peft step, wasm + @peft/blas (round ${r + 1}/${rounds})`);
    if (c) cpu.push(c);
  }
  const decodeArgs = ['--json', ...(reduced ? ['--reduced', '1', '--context', '64', '--new', '16'] : [])];
  const decodeGpu = node('packages/models-gpt2-roberta/bench/decode.mjs', ['--backend', 'webgpu', ...decodeArgs], 'cached vs recomputed greedy decoding, webgpu');
  const decodeCpu = node('packages/models-gpt2-roberta/bench/decode.mjs', ['--backend', 'wasm', ...decodeArgs], 'cached vs recomputed greedy decoding, wasm');

  const adapter = gpu[0]?.adapter ?? decodeGpu?.adapter;
  const lines = [`\n@peft on WebGPU — ${new Date().toISOString()} — Node ${process.version}`];
  lines.push(adapter
    ? `adapter: ${adapter.name}${adapter.vendor ? ` (${adapter.vendor})` : ''}${adapter.software ? ' — a SOFTWARE adapter (the CPU rasterises): these are not GPU figures' : ''}`
    : 'adapter: none (WebGPU did not start: see the failures above)');
  const s = gpu[0]?.shape ?? cpu[0]?.shape;
  if (s) lines.push(`\ntraining step, GPT-2-small-shaped${reduced ? ' REDUCED' : ''} (${s.layers} layers × ${s.embd}, ${s.heads} heads, vocab 50,257), B ${s.batch} × T ${s.seq}, inducer + LoRA, fwd + bwd + AdamW:`);
  if (gpu.length) lines.push(`  webgpu              median ${pooled(gpu).toFixed(2)} s/step   peak RSS ${Math.max(...gpu.map((r) => r.peak_rss_mb)).toFixed(0)} MB`);
  if (before.length) lines.push(`  webgpu, before      median ${pooled(before).toFixed(2)} s/step   (three readbacks in the step, tfjs's composed AdamW, norm, dropout masks and attention score step; losses ${gpu[0]?.loss.toFixed(6)} vs ${before[0].loss.toFixed(6)})`);
  if (unfused.length) lines.push(`  webgpu, no fused    median ${pooled(unfused).toFixed(2)} s/step   (GELU and the LM loss composed from tfjs ops)`);
  if (gpu.length && unfused.length) lines.push(`  fused kernels: ${(pooled(unfused) / pooled(gpu)).toFixed(2)}× faster step; losses ${gpu[0].loss.toFixed(5)} vs ${unfused[0].loss.toFixed(5)}`);
  if (cpu.length) lines.push(`  wasm + @peft/blas   median ${pooled(cpu).toFixed(2)} s/step   peak RSS ${Math.max(...cpu.map((r) => r.peak_rss_mb)).toFixed(0)} MB`);
  if (gpu.length && cpu.length) lines.push(`  ratio webgpu / wasm + blas: ${(pooled(gpu) / pooled(cpu)).toFixed(2)}× step time; losses ${gpu[0].loss.toFixed(5)} vs ${cpu[0].loss.toFixed(5)}`);
  // what one step sends to the GPU (@peft/webgpu's countGpuWork), the first step (pipelines compiled) and a later one
  const work = (label, run) => {
    const w = run?.gpu_work;
    if (!w?.length) return;
    const mb = (b) => (b / 2 ** 20).toFixed(2);
    const line = (k, c) => `  ${label.padEnd(18)} ${k.padEnd(6)} ${String(c.dispatches).padStart(5)} dispatches, ${String(c.submits).padStart(4)} submits, ` +
      `${String(c.pipelines).padStart(4)} pipelines created, ${c.mappedUploads} uploads (${mb(c.mappedUploadBytes)} MB) + ${c.writeBuffers} uniform writes (${mb(c.writeBufferBytes)} MB), ` +
      `${c.readbacks} readbacks (${c.readbackBytes} B), ${c.copies} copies (${mb(c.copyBytes)} MB), ${c.buffersCreated} buffers created`;
    lines.push(line('step 1', w[0]));
    if (w.length > 1) lines.push(line(`step ${w.length}`, w[w.length - 1]));
  };
  if (gpu[0]?.gpu_work || unfused[0]?.gpu_work) {
    lines.push('\nGPU work per training step (counted on the device: the same on any adapter):');
    work('webgpu, before', before[0]);
    work('webgpu, now', gpu[0]);
    work('webgpu, no fused', unfused[0]);
    const [a, b] = [gpu[0]?.gpu_work?.at(-1), before[0]?.gpu_work?.at(-1)];
    if (a && b) {
      const cut = (k) => `${k} ${b[k]} → ${a[k]}`;
      lines.push(`  before → now, a later step: ${['dispatches', 'submits', 'mappedUploads', 'readbacks', 'pipelines'].map(cut).join(', ')}, upload bytes ${(b.mappedUploadBytes / 2 ** 20).toFixed(2)} → ${(a.mappedUploadBytes / 2 ** 20).toFixed(2)} MB; same loss: ${a && gpu[0].loss === before[0].loss ? 'bit for bit' : `${gpu[0].loss} vs ${before[0].loss}`}`);
    }
  }
  for (const [name, d] of [['webgpu', decodeGpu], ['wasm', decodeCpu]]) {
    if (d) lines.push(`\ngreedy decoding on ${name}, ${d.new_tokens} new tokens after ${d.context}: cached ${d.cached_s.toFixed(2)} s, recomputed ${d.recompute_s.toFixed(2)} s, ${d.speedup.toFixed(1)}×; same tokens: ${d.same_tokens}`);
  }
  console.log(lines.join('\n'));
  return { adapter, reduced, step: { webgpu: gpu, webgpuBefore: before, webgpuUnfused: unfused, wasm: cpu }, decode: { webgpu: decodeGpu, wasm: decodeCpu } };
}
