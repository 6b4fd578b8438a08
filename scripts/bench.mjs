#!/usr/bin/env node
// `npm run bench`: every performance claim of @peft, measured side by side in one run on this machine, each goal
// marked met or NOT met. Parts (all by default; `--only a,b` runs some, `--skip a,b` leaves some out):
//   matmul   matmul throughput per backend (cpu, wasm, wasm + @peft/blas)
//   gemm     @peft/blas's own GEMM against OpenBLAS on the training step's product forms, interleaved (goal ≥ 0.85×
//            on one thread per CPU-second; the threaded wall clock beside it)
//   threads  tfjs's threaded-SIMD wasm build in Node
//   step     GPT-2-small-shaped training step (B 8 × T 128, inducer + LoRA, fwd + bwd + AdamW), @peft vs PyTorch,
//            interleaved: step ratio, ratio to the FLOP floor (matmul FLOPs ÷ the machine's true peak: the FMA probe
//            of the widest vector path × cores; the GEMM's own peak beside it), peak RSS
// PyTorch: 2.x from the pip index (`pip config list`: the local index) in a venv the bench makes once
// (test-output/bench-venv), and Debian's python3-torch 1.13 (the system OpenBLAS), each where the machine has it,
// printing which and the BLAS each ran; both run with the environment as the user has it, and 1.13 once more in the
// step part with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for that one command. Other parts compare against 2.x
// where it exists (else 1.13).
//   ablation the same step with one of round 3's kernels left out at a time, and with every block rematerialised
//            (round 2's setting), interleaved: what each change is worth now
//   baseline the same step on stock tfjs-wasm (before @peft/blas)
//   scaling  step time and peak RSS against sequence length (T 128…1024 at B·T = 1024) and batch size, both sides
//   medium   GPT-2-medium-shaped step (24 × 1024, B 8 × T 128) on cpu + @peft/blas, vs PyTorch
//   decode   greedy decoding with a key/value cache, @peft vs PyTorch's cached decoding (and vs recomputing)
//   roberta  RoBERTa-base MNLI step (B 32 × T 128) with and without block checkpointing, vs PyTorch
//   webnlg   scoring the full WebNLG test set (BLEU, METEOR, TER on three splits)
//   llama    SmolLM2-135M-shaped Llama step (30 × 576, 9 heads, 3 key/value heads, vocab 49,152, random weights; LoRA r 8
//            on all seven projections; B 8 × T 256) against transformers' LlamaForCausalLM + PEFT 0.21's LoRA in the
//            bench venv (PyTorch 2.x), interleaved; one round unless --only llama (then --rounds)
// Options: --quick (2 layers, fewer steps, a shorter scaling table), --rounds N, --steps N, --skip-torch, --json,
//          --skip-baseline (= --skip baseline), --gemm-step (the step also with @peft/blas forced to its own GEMM,
//          PEFT_BLAS_GEMM=own, interleaved), --checkpoint-blocks K (the step's second @peft row: K blocks rematerialised,
//          default half the layers; 0 leaves it out)
// `--backend webgpu [--reduced]`: the step and decoding on WebGPU beside wasm + @peft/blas instead (scripts/bench/webgpu.mjs)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { stepFlops } from './bench/step-flops.mjs';
import { llamaStepSettings, stepSettings } from './bench/step-settings.mjs';
import { median } from './bench/medians.mjs';

// ---- WebGPU (its own set of figures) ----
if (process.argv.includes('--backend') && process.argv[process.argv.indexOf('--backend') + 1] === 'webgpu') {
  const { benchWebgpu } = await import('./bench/webgpu.mjs');
  const r = benchWebgpu(process.argv.slice(2));
  if (process.argv.includes('--json')) console.log(JSON.stringify(r));
  process.exit(0);
}
// ---- end WebGPU ----

const root = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const flag = (f) => argv.includes(f);
const opt = (f, d) => (argv.includes(f) ? argv[argv.indexOf(f) + 1] : d);
const PARTS = ['matmul', 'gemm', 'threads', 'step', 'ablation', 'baseline', 'scaling', 'medium', 'decode', 'roberta', 'webnlg', 'llama'];
const only = opt('--only', null)?.split(',');
const skip = [...opt('--skip', '').split(',').filter(Boolean), ...(flag('--skip-baseline') ? ['baseline'] : [])];
for (const p of [...(only ?? []), ...skip]) if (!PARTS.includes(p)) throw new Error(`unknown part '${p}' (parts: ${PARTS.join(', ')})`);
const want = (p) => (only ? only.includes(p) : true) && !skip.includes(p);
const quick = flag('--quick');
const layers = quick ? 2 : 12;
// the step is also measured with this many blocks rematerialised (peft train --checkpoint-blocks K): memory for time
const leanBlocks = +opt('--checkpoint-blocks', Math.round(layers / 2));
const steps = +opt('--steps', quick ? 2 : 4);
const rounds = +opt('--rounds', 2);
const PY = '/usr/bin/python3';
const VENV = `${root}/test-output/bench-venv`;
const started = Date.now();
const results = {};

function log(s) {
  process.stderr.write(s + '\n');
}
function node(script, args, label, env = process.env) {
  log(`· ${label}`);
  const r = spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26, env });
  const line = (r.stdout || '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (r.status !== 0 || !line) {
    log(`  failed (exit ${r.status}): ${(r.stderr || '').split('\n').filter(Boolean).slice(-3).join(' | ')}`);
    return null;
  }
  return JSON.parse(line);
}
/** Runs a PyTorch script with one of the PyTorch sides below (default: the one of record); env as the user has it. */
function python(script, args, label, side = torchOfRecord) {
  log(`· ${label}`);
  const r = spawnSync(side.py, [script, ...args], { cwd: root, encoding: 'utf8', env: { ...(side.env ?? process.env), OPENBLAS_NUM_THREADS: '2' } });
  const line = (r.stdout || '').trim().split('\n').pop();
  if (r.status !== 0 || !line?.startsWith('{')) {
    log(`  failed (exit ${r.status}): ${(r.stderr || '').split('\n').filter(Boolean).slice(-2).join(' | ')}`);
    return null;
  }
  return JSON.parse(line);
}
const torchVersion = (py) => {
  const r = spawnSync(py, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
};
/** Debian's python3-torch 1.13 with the system OpenBLAS (installed from apt once where root). */
function ensureTorch() {
  const has = () => spawnSync(PY, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  const openblas = () => existsSync('/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3');
  if (has() && openblas()) return true;
  if (process.getuid?.() !== 0) return false;
  log('· installing python3-torch and libopenblas0-pthread from Debian (once)');
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', '-qq', 'python3-torch', 'libopenblas0-pthread'], {
    stdio: 'ignore',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return has() && openblas();
}
/**
 * PyTorch 2.x as `pip install torch` gives it from this machine's pip index, in a venv made once under test-output/
 * (reused after). The python interpreter, or null where the index has no 2.x (or pip cannot reach one).
 */
/**
 * pip's index options from `pip config list`: the configured index only, as --index-url (these machines' config lists
 * it as an extra index, and the public one is not reachable: pip would wait on retries of it first).
 */
function pipIndexOptions() {
  const cfg = spawnSync(PY, ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' });
  const urls = (cfg.stdout ?? '').split('\n').filter((l) => /index-url=/.test(l)).flatMap((l) => l.split('=')[1].replace(/'/g, '').split(/\s+/)).filter(Boolean);
  return urls.length ? ['--index-url', urls[0], ...urls.slice(1).flatMap((u) => ['--extra-index-url', u])] : [];
}
function ensureTorch2() {
  const py = `${VENV}/bin/python`;
  if (existsSync(py) && /^2\./.test(torchVersion(py) ?? '')) return py;
  log('· making test-output/bench-venv with `pip install torch` (PyTorch 2.x) from the pip index (once)');
  if (!existsSync(py) && spawnSync(PY, ['-m', 'venv', VENV], { stdio: 'ignore' }).status !== 0) return null;
  spawnSync(`${VENV}/bin/pip`, ['install', '-q', ...pipIndexOptions(), 'torch>=2,<3'], { stdio: 'ignore', timeout: 15 * 60_000 });
  return /^2\./.test(torchVersion(py) ?? '') ? py : null;
}
/**
 * transformers and PEFT 0.21 beside PyTorch 2.x in the bench venv (the Llama step's PyTorch side), installed once from
 * the configured local index (`pip config list`: the public one is not reachable here). True when they import.
 */
function ensureHfStack(py) {
  const ready = () => spawnSync(py, ['-c', 'import transformers, peft, safetensors'], { stdio: 'ignore' }).status === 0;
  if (ready()) return true;
  const idx = pipIndexOptions();
  log('· installing transformers and peft 0.21 into test-output/bench-venv from the pip index (once)');
  spawnSync(`${VENV}/bin/pip`, ['install', '-q', ...idx, 'transformers', 'peft==0.21.*', 'safetensors'], { stdio: 'ignore', timeout: 15 * 60_000 });
  return ready();
}
/** The median over every steady-state step (the first step of each run is warm-up) of all runs of one side. */
const pooled = (runs) => median(runs.flatMap((r) => (r.steps_s.length > 1 ? r.steps_s.slice(1) : r.steps_s)));
/** The same over the CPU seconds of each step (all threads of the process). */
const pooledCpu = (runs) => median(runs.flatMap((r) => (r.cpu_s.length > 1 ? r.cpu_s.slice(1) : r.cpu_s)));
const summary = (runs) => (runs.length ? { median_s: pooled(runs), peak_rss_mb: Math.max(...runs.map((r) => r.peak_rss_mb)), runs } : null);
const goal = (ok) => (ok ? 'met' : 'NOT met');
const mb = (x) => `${x.toFixed(0)} MB`;
const wantTorch = !flag('--skip-torch') && (want('step') || want('scaling') || want('medium') || want('decode') || want('roberta') || want('llama'));
/** The PyTorch sides this machine has: 2.x from the pip index, Debian's 1.13; the first is the one of record. */
const torchSides = [];
if (wantTorch) {
  const py2 = ensureTorch2();
  if (py2) torchSides.push({ key: 'torch2', py: py2, version: torchVersion(py2), source: 'pip index, test-output/bench-venv' });
  if (ensureTorch()) torchSides.push({ key: 'torch113', py: PY, version: torchVersion(PY), source: "Debian's python3-torch" });
}
const torchOfRecord = torchSides[0] ?? null;
const torchOk = torchOfRecord !== null;
/** Debian's 1.13 once more with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset (for that one command only). */
const torchUnset = torchSides.find((t) => t.key === 'torch113');
const unsetSide = torchUnset && (process.env.OPENBLAS_CORETYPE !== undefined || process.env.OPENBLAS_L2_SIZE !== undefined)
  ? { ...torchUnset, key: 'torch113unset', env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'OPENBLAS_CORETYPE' && k !== 'OPENBLAS_L2_SIZE')) }
  : null;

// 1. matmul, threaded wasm, and the GEMM peak every floor below is taken against
if (want('matmul')) results.matmul = node('packages/blas/bench/matmul.mjs', ['--json'], 'matmul throughput by backend');
if (want('gemm')) results.gemm = node('packages/blas/bench/gemm.mjs', ['--json'], "@peft/blas's own GEMM vs OpenBLAS");
if (want('threads')) results.wasmThreads = node('scripts/bench/wasm-threads.mjs', [], "tfjs's threaded-SIMD wasm build in Node");
const needPeak = want('step') || want('medium') || want('scaling');
if (needPeak) results.peak = node('scripts/bench/gemm-peak.mjs', [], 'GEMM peak (@peft/blas, all threads)');
if (needPeak && want('medium')) results.peakMedium = node('scripts/bench/gemm-peak.mjs', ['d=1024'], 'GEMM peak at d 1024');

/** @peft's step as the `peft` command would run it (backend and rematerialised blocks from the memory estimate). */
function peftStep(shape, extra, label, env = process.env) {
  const s = stepSettings(shape);
  return node('scripts/bench/peft-step.mjs', [`backend=${s.backend}`, `remat=${s.remat}`, `model=${shape.model}`, `batch=${shape.batch}`, `seq=${shape.seq}`, ...extra], `${label} (${s.backend} + @peft/blas, ${s.remat} blocks rematerialised)`, env);
}
const torchStep = (shape, extra, label, side = torchOfRecord) =>
  python('scripts/bench/pytorch_step.py', [`model=${shape.model}`, `batch=${shape.batch}`, `seq=${shape.seq}`, 'threads=2', ...extra], `${label} (PyTorch ${side.version})`, side);

// 2. the GPT-2-small training step, interleaved
if (want('step')) {
  const shape = { model: 'small', batch: 8, seq: 128, layers };
  const extra = [`layers=${layers}`, `steps=${steps}`];
  const peftRuns = [], ownGemmRuns = [], leanRuns = [];
  const torchRuns = Object.fromEntries(torchSides.map((t) => [t.key, []]));
  const pairs = []; // each round's @peft step and the PyTorch of record's (the same round, minutes apart): [peft s, torch s]
  for (let r = 0; r < rounds; r++) {
    const p = peftStep(shape, extra, `@peft step (round ${r + 1}/${rounds})`);
    if (p) peftRuns.push(p);
    const pairPeft = p?.median_s;
    if (leanBlocks > 0) {
      const l = node('scripts/bench/peft-step.mjs', [`backend=${stepSettings(shape).backend}`, 'model=small', 'batch=8', 'seq=128', ...extra, `remat=${leanBlocks}`], `@peft step, ${leanBlocks} blocks rematerialised (round ${r + 1}/${rounds})`);
      if (l) leanRuns.push(l);
    }
    if (flag('--gemm-step') && results.gemm?.system) {
      const o = peftStep(shape, extra, `@peft step, own GEMM (round ${r + 1}/${rounds})`, { ...process.env, PEFT_BLAS_GEMM: 'own' });
      if (o) ownGemmRuns.push(o);
    }
    for (const side of torchSides) {
      const t = torchStep(shape, extra, `PyTorch step (round ${r + 1}/${rounds})`, side);
      if (t) torchRuns[side.key].push(t);
      if (side === torchOfRecord && t && pairPeft !== undefined) pairs.push([pairPeft, t.median_s]);
    }
  }
  // once: Debian's 1.13 without this machine's OpenBLAS settings (OpenBLAS then picks its kernels by the CPU)
  const unsetRun = unsetSide ? torchStep(shape, extra, 'PyTorch step, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for this one command', unsetSide) : null;
  const torchBySide = Object.fromEntries(torchSides.map((t) => [t.key, summary(torchRuns[t.key])]));
  if (unsetRun) torchBySide.torch113unset = summary([unsetRun]);
  results.step = { layers, peft: summary(peftRuns), torch: torchBySide[torchOfRecord?.key] ?? null, torchBySide, pairs, ownGemm: summary(ownGemmRuns), lean: summary(leanRuns) };
}
if (want('ablation')) {
  const shape = { model: 'small', batch: 8, seq: 128, layers };
  const s0 = stepSettings(shape);
  const extra = [`layers=${layers}`, `steps=${Math.min(steps, 3)}`];
  const variants = [
    ['all of round 3', []],
    ['without the native masked softmax (attention composed from tfjs ops under the same custom gradient)', ['without=masked-softmax']],
    ['without the fused cross-entropy (the LM loss composed from tfjs ops)', ['without=cross-entropy']],
    ['without the native dropout masks (tfjs\'s seeded randomUniform)', ['without=dropout-mask']],
    ['without transposedMatMul (the models keep Wᵀ copies of the frozen weights)', ['without=transposed-matmul']],
    ...(s0.backend === 'wasm' ? [["with tfjs-wasm's own Slice (element by element) instead of @peft/blas's", ['without=wasm-slice']]] : []),
    [`every block rematerialised (round 2's setting) instead of ${s0.remat}`, [`remat=${layers}`]],
  ];
  const runs = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    variants.forEach(([label, args], i) => {
      const run = node('scripts/bench/peft-step.mjs', [`backend=${s0.backend}`, `remat=${s0.remat}`, 'model=small', 'batch=8', 'seq=128', ...extra, ...args], `@peft step ${label} (round ${r + 1}/${rounds})`);
      if (run) runs[i].push(run);
    });
  }
  results.ablation = { backend: s0.backend, remat: s0.remat, rows: variants.map(([label], i) => ({ label, ...summary(runs[i]) })) };
}
if (want('baseline')) {
  results.baseline = node('scripts/bench/peft-step.mjs', ['backend=wasm', 'blas=0', `layers=${layers}`, `remat=${layers}`, `steps=${Math.min(steps, 2)}`], '@peft step, stock wasm (before @peft/blas)');
}

// 3. how cost grows: sequence length at a fixed B·T, then batch size
if (want('scaling')) {
  const lengths = quick ? [128, 256] : [128, 256, 512, 1024];
  const batches = quick ? [4, 8] : [2, 4, 8, 16];
  const one = (batch, seq) => {
    const shape = { model: 'small', batch, seq, layers };
    const extra = [`layers=${layers}`, 'steps=2'];
    const p = peftStep(shape, extra, `@peft step B ${batch} × T ${seq}`);
    const t = torchOk ? torchStep(shape, extra, `PyTorch step B ${batch} × T ${seq}`) : null;
    return { batch, seq, peft: p, torch: t };
  };
  results.scaling = { bySeq: lengths.map((T) => one(1024 / T, T)), byBatch: batches.map((B) => one(B, 128)) };
}

// 4. GPT-2 medium on cpu + @peft/blas
if (want('medium')) {
  const shape = { model: 'medium', batch: 8, seq: 128, layers: quick ? 2 : 24 };
  const extra = [`layers=${shape.layers}`, `steps=${quick ? 2 : 3}`];
  results.medium = { layers: shape.layers, peft: peftStep(shape, extra, '@peft GPT-2-medium step'), torch: torchOk ? torchStep(shape, extra, 'PyTorch GPT-2-medium step') : null };
}

// 5. decoding with a key/value cache
if (want('decode')) {
  const n = quick ? ['new=10'] : [];
  results.decode = {
    peft: node('scripts/bench/peft-decode.mjs', ['backend=cpu', 'recompute=1', ...n], '@peft cached greedy decoding (cpu + @peft/blas), and recomputing'),
    torch: torchOk ? python('scripts/bench/pytorch_decode.py', ['threads=2', ...n], 'PyTorch cached greedy decoding') : null,
  };
}

// 6. RoBERTa's MNLI step with and without block checkpointing
if (want('roberta')) {
  const extra = [`steps=${quick ? 2 : 3}`, ...(quick ? ['batch=8'] : [])];
  results.roberta = {
    plain: node('scripts/bench/roberta-step.mjs', ['backend=cpu', 'remat=0', ...extra], '@peft MNLI step, cpu + @peft/blas, no blocks rematerialised'),
    remat: node('scripts/bench/roberta-step.mjs', ['backend=cpu', 'remat=12', ...extra], '@peft MNLI step, cpu + @peft/blas, all 12 blocks rematerialised'),
    wasm: node('scripts/bench/roberta-step.mjs', ['backend=wasm', 'remat=12', ...extra], '@peft MNLI step, wasm + @peft/blas, all 12 blocks rematerialised'),
    torch: torchOk ? python('scripts/bench/pytorch_step.py', ['model=roberta', ...extra], 'PyTorch MNLI step') : null,
  };
}

// 7. WebNLG scoring
if (want('webnlg')) {
  const scoreScript = 'packages/eval-metrics/bench/webnlg-score.mjs';
  // a real system's output (metric-check set 5: DART's BART-large on the 1,862 test entries), so TER and METEOR search
  const systemOutput = `${process.env.PEFT_DATA || `${root}/../shared/data`}/metric-check/webnlg/set5_dart_bart-large_output/hyp.raw.txt`;
  results.webnlg = existsSync(`${root}/${scoreScript}`) ? node(scoreScript, existsSync(systemOutput) ? ['--hyp', systemOutput] : [], 'scoring the WebNLG test set') : null;
}

// 8. the SmolLM2-135M-shaped Llama step, interleaved with transformers + PEFT on PyTorch 2.x
if (want('llama')) {
  const { smolLm2Fixture } = await import('./bench/llama-fixture.mjs');
  const llamaLayers = quick ? 2 : 30;
  const shape = { batch: quick ? 2 : 8, seq: quick ? 64 : 256, layers: llamaLayers };
  const dir = await smolLm2Fixture(llamaLayers);
  const ls = await llamaStepSettings(shape);
  const extra = [`layers=${llamaLayers}`, `batch=${shape.batch}`, `seq=${shape.seq}`, `steps=${quick ? 2 : 3}`];
  const torch2 = torchSides.find((t) => t.key === 'torch2');
  const hf = torch2 && ensureHfStack(torch2.py) ? torch2 : null;
  const llamaRounds = only?.includes('llama') ? rounds : 1;
  const peftRuns = [], torchRuns = [];
  for (let r = 0; r < llamaRounds; r++) {
    const p = node('scripts/bench/llama-step.mjs', [`backend=${ls.backend}`, `remat=${ls.remat}`, ...extra], `@peft Llama-shaped step (${ls.backend} + @peft/blas, ${ls.remat} blocks rematerialised; round ${r + 1}/${llamaRounds})`);
    if (p) peftRuns.push(p);
    if (hf) {
      const t = python('scripts/bench/pytorch_llama_step.py', [`dir=${dir}`, `batch=${shape.batch}`, `seq=${shape.seq}`, `steps=${quick ? 2 : 3}`, 'threads=2'], `transformers + PEFT Llama-shaped step (PyTorch ${hf.version}; round ${r + 1}/${llamaRounds})`, hf);
      if (t) torchRuns.push(t);
    }
  }
  results.llama = { ...shape, settings: ls, peft: summary(peftRuns), torch: summary(torchRuns), torchMissing: hf ? null : torch2 ? 'transformers/peft not installable in the bench venv' : 'no PyTorch 2.x on this machine' };
}

// summary
const lines = [];
lines.push(`\n@peft benchmarks — ${new Date().toISOString()} — ${execFileSync('nproc').toString().trim()} cores, Node ${process.version}, ${((Date.now() - started) / 60000).toFixed(1)} min`);
if (results.matmul) {
  lines.push('\nmatmul GFLOP/s (median):');
  for (const r of results.matmul.rows) lines.push(`  ${r.form.padEnd(34)} cpu ${String(r.cpu).padStart(5)}  wasm ${String(r.wasm).padStart(5)}  wasm+blas ${String(r['wasm+blas']).padStart(5)}  (×${r['blas/wasm']})`);
}
if (results.matmul?.blas?.config) lines.push(`  @peft/blas: ${results.matmul.blas.config}`);
if (results.gemm) {
  const g = results.gemm;
  const t = `${g.threads}t`;
  lines.push(`\n@peft/blas's own GEMM (${g.own_isa}) vs ${g.system ?? 'no system BLAS built in'}, GFLOP/s over ${g.reps} interleaved reps — 1t: one thread, per CPU-second (median; the goal); ${t}: ${g.threads} threads, wall clock (fastest):`);
  for (const r of g.rows) {
    const vs = g.system
      ? `  ${g.system} ${String(r[`${g.system} 1t`]).padStart(5)}  own/${g.system} ${r.ratio.toFixed(2)}× (goal ≥ ${g.goal}×: ${r.goal});  ${t}: own ${r[`own ${t}`]}, ${g.system} ${r[`${g.system} ${t}`]} (${r[`ratio ${t}`].toFixed(2)}×)`
      : `;  ${t}: own ${r[`own ${t}`]}`;
    lines.push(`  ${r.form.padEnd(36)} 1t: own ${String(r['own 1t']).padStart(5)}${vs};  own baseline path 1t ${r['own baseline 1t']}`);
  }
  if (!g.system) lines.push('  no ratio: this build has no system BLAS (install libopenblas-dev and rebuild @peft/blas to compare)');
}
if (results.wasmThreads) {
  const w = results.wasmThreads;
  lines.push(w.threaded.available
    ? `\ntfjs threaded-SIMD wasm in Node: ${w.threaded.gflops} GFLOP/s on x·W with ${w.threaded.threads} threads vs ${w.simd_gflops} single-threaded SIMD`
    : `\ntfjs threaded-SIMD wasm in Node: does not start (${w.threaded.reason.slice(0, 120)}); single-threaded SIMD x·W ${w.simd_gflops} GFLOP/s`);
}
const peak = results.peak?.peak_gflops;
const truePeak = results.peak?.true_peak_gflops;
if (results.peak) {
  const k = results.peak;
  lines.push(`\nGEMM peak (@peft/blas, cpu backend, all threads, wall clock): ${peak} GFLOP/s — ${k.forms.map((f) => `${f.form} ${f.gflops}`).join('; ')}`);
  if (k.fma?.length) {
    lines.push(`the machine's true peak (register-only FMA loop per vector path, one thread, per CPU-second): ${k.fma.map((p) => `${p.isa} ${p.gflops_per_core}`).join(', ')} GFLOP/s per core → ${truePeak} GFLOP/s on ${k.threads} cores (${k.fma[0].isa})`);
    const widths = k.fma.slice(0, -1).map((p, i) => `${p.isa}/${k.fma[i + 1].isa} ${(p.gflops_per_core / k.fma[i + 1].gflops_per_core).toFixed(2)}×`);
    if (widths.length) lines.push(`  FMA ratios side by side: ${widths.join(', ')}`);
  }
  if (k.paths?.length && k.paths[0].forms.length) {
    lines.push("@peft/blas's own GEMM per vector path, one thread, GFLOP/s per CPU-second (median; paths interleaved), and the share of that path's FMA peak:");
    const fmaOf = (isa) => k.fma?.find((p) => p.isa === isa)?.gflops_per_core;
    k.paths[0].forms.forEach((f, j) => {
      const cells = k.paths.map((p) => `${p.isa} ${String(p.forms[j].gflops).padStart(5)}${fmaOf(p.isa) ? ` (${((100 * p.forms[j].gflops) / fmaOf(p.isa)).toFixed(0)} %)` : ''}`);
      const ratios = k.paths.slice(0, -1).map((p, i) => `${p.isa}/${k.paths[i + 1].isa} ${(p.forms[j].gflops / k.paths[i + 1].forms[j].gflops).toFixed(2)}×`);
      lines.push(`  ${f.form.padEnd(36)} ${cells.join('  ')}   ${ratios.join(', ')}`);
    });
  }
}
/** The FLOP floor of a measured @peft step: its counted matmul FLOPs at a peak. */
function floorOf(run, shape, peakGflops) {
  if (!run || !peakGflops) return null;
  const f = stepFlops({ layers: run.layers, d: run.d, heads: run.heads, batch: run.batch, seq: run.seq, remat: run.remat });
  return { flops: f, counted: run.matmul_flops, floor_s: f.total / (peakGflops * 1e9), shape };
}
/** What ran a PyTorch side's products, from pytorch_step.py's record. */
function torchBlas(run) {
  const b = run?.blas;
  if (!b) return '?';
  const parts = [];
  if (b.mkl) parts.push(`MKL ${b.mkl.split('-')[0]}`);
  if (b.openblas) parts.push(`OpenBLAS ${b.openblas.config.split(' ')[1]}, core ${b.openblas.corename}`);
  if (!b.mkl && !b.openblas) parts.push(`BLAS_INFO=${b.blas_info}`);
  if (b.mkldnn) parts.push('oneDNN');
  parts.push(`ATen ${b.cpu_capability}`);
  const env = Object.entries(b.env ?? {}).filter(([k, v]) => k.startsWith('OPENBLAS') && v !== null).map(([k, v]) => `${k}=${v}`);
  return `${parts.join(', ')}; ${env.length ? env.join(' ') : 'OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE unset'}`;
}
const TORCH_LABEL = { torch2: 'pip', torch113: 'Debian', torch113unset: 'Debian, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset for this one command' };
/** The goals of issue 25 (performance round 4), each met / NOT met / not measured, printed at the end. */
const goals = [];
const s = results.step;
if (s) {
  lines.push(`\ntraining step, GPT-2-small shape (${s.layers} layers), B 8 × T 128, inducer + LoRA trainable:`);
  const p = s.peft?.runs[0];
  if (s.peft) lines.push(`  @peft  ${p.backend} + @peft/blas, ${p.remat} blocks rematerialised   median ${s.peft.median_s.toFixed(2)} s/step   peak RSS ${mb(s.peft.peak_rss_mb)}   (GEMM: ${p.gemm ?? '?'}${p.gemm === 'own' && p.isa ? `, ${p.isa} path` : ''})`);
  if (s.ownGemm && s.peft) lines.push(`  @peft  same, PEFT_BLAS_GEMM=own                  median ${s.ownGemm.median_s.toFixed(2)} s/step   peak RSS ${mb(s.ownGemm.peak_rss_mb)}   (GEMM: ${s.ownGemm.runs[0].gemm}; ${(s.ownGemm.median_s / s.peft.median_s).toFixed(2)}× the step above)`);
  const sides = Object.entries(s.torchBySide ?? {}).filter(([, t]) => t);
  for (const [key, t] of sides) {
    const r0 = t.runs[0];
    lines.push(`  PyTorch ${r0.torch ?? '?'} (${TORCH_LABEL[key]}), ${r0.threads} threads   median ${t.median_s.toFixed(2)} s/step   peak RSS ${mb(t.peak_rss_mb)}   (${t.runs.length} run${t.runs.length > 1 ? 's' : ''}; BLAS: ${torchBlas(r0)})`);
  }
  if (s.peft && sides.length) {
    lines.push('  ratio @peft / each PyTorch, side by side (same run):');
    const name = (key, t) => `${t.runs[0].torch ?? key}${key === 'torch113unset' ? ' (OPENBLAS_* unset)' : ''}`;
    const cpu = (x) => pooledCpu(x.runs);
    lines.push(`    step time (wall)    ${sides.map(([key, t]) => `${name(key, t)} ${(s.peft.median_s / t.median_s).toFixed(2)}×`).join('   ')}`);
    lines.push(`    step CPU time       ${sides.map(([key, t]) => `${name(key, t)} ${(cpu(s.peft) / cpu(t)).toFixed(2)}×`).join('   ')}   (@peft ${cpu(s.peft).toFixed(2)} CPU-s/step; a loaded machine moves the wall clock more)`);
    lines.push(`    peak RSS            ${sides.map(([key, t]) => `${name(key, t)} ${(s.peft.peak_rss_mb / t.peak_rss_mb).toFixed(2)}×`).join('   ')}`);
    // the machine's speed drifts over minutes, and moves PyTorch's figure more than @peft's: each round's pair shows
    // how far the ratio of medians above moves with it
    if (s.pairs?.length > 1) lines.push(`    step time round by round (@peft s / ${sides[0][1].runs[0].torch} s, the two runs of each round): ${s.pairs.map(([a, b]) => `${a.toFixed(2)}/${b.toFixed(2)} = ${(a / b).toFixed(2)}×`).join(', ')}`);
  }
  const t2 = s.torchBySide?.torch2;
  if (s.peft && t2) {
    const ratio = s.peft.median_s / t2.median_s, rss = s.peft.peak_rss_mb / t2.peak_rss_mb;
    goals.push(`step ≤ 0.35× PyTorch 2.x's: ${ratio.toFixed(2)}× (${t2.runs[0].torch}) — ${goal(ratio <= 0.35)}`);
    goals.push(`peak RSS ≤ 0.6× PyTorch 2.x's at the default (${p.backend}, ${p.remat} blocks rematerialised): ${rss.toFixed(2)}× — ${goal(rss <= 0.6)}`);
  } else {
    goals.push(`step ≤ 0.35× PyTorch 2.x's: not measured (${s.peft ? 'no PyTorch 2.x on this machine' : '@peft step failed'})`);
    goals.push(`peak RSS ≤ 0.6× PyTorch 2.x's at the default: not measured`);
  }
  if (s.lean && s.torch) {
    const ratio = s.lean.median_s / s.torch.median_s;
    const rss = s.lean.peak_rss_mb / s.torch.peak_rss_mb;
    lines.push(`  @peft  ${s.lean.runs[0].backend} + @peft/blas, ${s.lean.runs[0].remat} blocks rematerialised (--checkpoint-blocks ${s.lean.runs[0].remat})   median ${s.lean.median_s.toFixed(2)} s/step   peak RSS ${mb(s.lean.peak_rss_mb)}`);
    lines.push(`  ratio @peft / PyTorch ${s.torch.runs[0].torch} so: step time ${ratio.toFixed(2)}×, peak RSS ${rss.toFixed(2)}×`);
  }
  if (!torchOk) lines.push('  PyTorch side skipped: neither PyTorch 2.x from the pip index nor Debian python3-torch + libopenblas0-pthread is installed or installable here');
  const fl = s.peft && floorOf(p, 'small', truePeak ?? peak);
  if (fl) {
    const r = s.peft.median_s / fl.floor_s;
    const f = fl.flops;
    lines.push(`  matmul FLOPs per step, from the shapes: ${(f.total / 1e9).toFixed(1)} G (forward ${(f.forward / 1e9).toFixed(1)}, backward ${(f.backward / 1e9).toFixed(1)}, rematerialisation ${(f.remat / 1e9).toFixed(1)}; LM head ${(f.head / 1e9).toFixed(1)}); counted in the step's products: ${(fl.counted / 1e9).toFixed(1)} G${fl.counted === f.total ? ' (equal)' : ' (DIFFERS)'}`);
    lines.push(`  FLOP floor at the machine's true peak ${truePeak ?? peak} GFLOP/s${truePeak ? '' : ' (no FMA probe: the GEMM peak)'}: ${fl.floor_s.toFixed(2)} s; step / floor ${r.toFixed(2)}×`);
    // the same in CPU time, which a loaded machine disturbs far less: the step's CPU seconds against the floor's
    // (its FLOPs at one core's true peak, i.e. the floor × the cores)
    if (truePeak && results.peak.threads) {
      const floorCpu = fl.floor_s * results.peak.threads, stepCpu = pooledCpu(s.peft.runs);
      lines.push(`  in CPU time: ${stepCpu.toFixed(2)} CPU-s per step against the floor's ${floorCpu.toFixed(2)} CPU-s: ${(stepCpu / floorCpu).toFixed(2)}×`);
    }
    const gl = floorOf(p, 'small', peak);
    if (truePeak && gl) lines.push(`  (at the GEMM's own measured peak, ${peak} GFLOP/s, the floor would be ${gl.floor_s.toFixed(2)} s; step / that ${(s.peft.median_s / gl.floor_s).toFixed(2)}×)`);
    goals.push(`step ≤ 1.5× the FLOP floor at the machine's true peak: ${r.toFixed(2)}× (floor ${fl.floor_s.toFixed(2)} s at ${truePeak ?? peak} GFLOP/s) — ${truePeak ? goal(r <= 1.5) : 'not measured (no FMA probe)'}`);
  }
}
if (results.baseline) {
  lines.push(`  @peft  stock wasm (no @peft/blas), every block rematerialised   median ${results.baseline.median_s.toFixed(2)} s/step   peak RSS ${mb(results.baseline.peak_rss_mb)}   (before)`);
  if (s?.peft) lines.push(`  @peft/blas speed-up on the whole step: ${(results.baseline.median_s / s.peft.median_s).toFixed(2)}×`);
}
if (results.ablation) {
  const a = results.ablation;
  const all = a.rows[0];
  lines.push(`\nwhat each of round 3's changes is worth now (same step, ${a.backend} + @peft/blas, ${a.remat} blocks rematerialised unless said; interleaved):`);
  for (const r of a.rows) {
    lines.push(r.median_s
      ? `  ${r.label.padEnd(100)} ${r.median_s.toFixed(2).padStart(6)} s  ${mb(r.peak_rss_mb).padStart(8)}${r === all || !all.median_s ? '' : `  (${(r.median_s / all.median_s).toFixed(2)}× the time, ${(r.peak_rss_mb / all.peak_rss_mb).toFixed(2)}× the RSS)`}`
      : `  ${r.label}: FAILED (see above)`);
  }
}
if (results.scaling) {
  const row = (x, key) => {
    const p = x.peft, t = x.torch;
    const ratio = p && t ? (p.median_s / t.median_s).toFixed(2) + '×' : '–';
    return `  ${String(x[key]).padStart(5)}  ${String(x.batch).padStart(3)} × ${String(x.seq).padEnd(5)} ${p ? p.median_s.toFixed(2).padStart(7) : '      –'} s ${p ? mb(p.peak_rss_mb).padStart(9) : '        –'}   ${t ? t.median_s.toFixed(2).padStart(7) : '      –'} s ${t ? mb(t.peak_rss_mb).padStart(9) : '        –'}   ${ratio.padStart(6)}${p ? `  (${p.backend}, remat ${p.remat})` : ''}`;
  };
  lines.push('\nhow cost grows (GPT-2-small shape, steady step):');
  lines.push('      T  B × T        @peft    peak RSS    PyTorch    peak RSS   ratio');
  for (const x of results.scaling.bySeq) lines.push(row(x, 'seq'));
  const g = (xs, side) => {
    const a = xs[0][side], b = xs[xs.length - 1][side];
    return a && b ? b.median_s / a.median_s : NaN;
  };
  lines.push(`  T ${results.scaling.bySeq[0].seq} → ${results.scaling.bySeq.at(-1).seq} at fixed B·T: @peft ×${g(results.scaling.bySeq, 'peft').toFixed(2)}, PyTorch ×${g(results.scaling.bySeq, 'torch').toFixed(2)}`);
  const growth = { peft: g(results.scaling.bySeq, 'peft'), torch: g(results.scaling.bySeq, 'torch') };
  const span = `T ${results.scaling.bySeq[0].seq} → ${results.scaling.bySeq.at(-1).seq}`;
  goals.push(Number.isFinite(growth.peft) && Number.isFinite(growth.torch)
    ? `${span} growth at fixed B·T ≤ PyTorch's: @peft ×${growth.peft.toFixed(2)}, PyTorch ${results.scaling.bySeq[0].torch.torch} ×${growth.torch.toFixed(2)} — ${goal(growth.peft <= growth.torch)}${span === 'T 128 → 1024' ? '' : ' (not the full span: --quick)'}`
    : `${span} growth ≤ PyTorch's: not measured (a side failed or no PyTorch)`);
  lines.push('      B  B × T');
  for (const x of results.scaling.byBatch) lines.push(row(x, 'batch'));
  lines.push(`  B ${results.scaling.byBatch[0].batch} → ${results.scaling.byBatch.at(-1).batch}: @peft ×${g(results.scaling.byBatch, 'peft').toFixed(2)}, PyTorch ×${g(results.scaling.byBatch, 'torch').toFixed(2)}`);
}
if (results.medium) {
  const m = results.medium;
  lines.push(`\nGPT-2-medium shape (${m.layers} layers × 1024, 16 heads), B 8 × T 128, inducer + LoRA:`);
  if (m.peft) {
    lines.push(`  @peft  ${m.peft.backend} + @peft/blas, ${m.peft.remat} blocks rematerialised   median ${m.peft.median_s.toFixed(2)} s/step   peak RSS ${mb(m.peft.peak_rss_mb)} (trains: loss ${m.peft.loss.toFixed(3)}, goal: fits this machine: ${goal(m.peft.peak_rss_mb < 12 * 1024)})`);
    const fl = floorOf(m.peft, 'medium', results.peakMedium?.peak_gflops ?? peak);
    if (fl) lines.push(`  FLOP floor ${fl.floor_s.toFixed(2)} s (${(fl.flops.total / 1e9).toFixed(0)} G matmul FLOPs); step / floor ${(m.peft.median_s / fl.floor_s).toFixed(2)}×`);
  } else lines.push('  @peft: FAILED (see above)');
  if (m.torch) lines.push(`  PyTorch                                  median ${m.torch.median_s.toFixed(2)} s/step   peak RSS ${mb(m.torch.peak_rss_mb)}`);
  if (m.peft && m.torch) lines.push(`  ratio @peft / PyTorch: step time ${(m.peft.median_s / m.torch.median_s).toFixed(2)}×, peak RSS ${(m.peft.peak_rss_mb / m.torch.peak_rss_mb).toFixed(2)}×`);
}
if (results.decode) {
  const { peft: d, torch: t } = results.decode;
  lines.push(`\ngreedy decoding with a key/value cache, GPT-2-small shape, batch 1, ${d?.new_tokens ?? t?.new_tokens} new tokens after ${d?.context ?? t?.context}:`);
  if (d) lines.push(`  @peft  ${d.backend} + @peft/blas  ${d.tokens_per_s.toFixed(2)} tokens/s (${d.seconds.toFixed(2)} s: prefill ${d.prefill_s.toFixed(2)} s, ${d.per_token_ms.toFixed(0)} ms per further token)`);
  if (t) lines.push(`  PyTorch, cache as HF generate  ${t.tokens_per_s.toFixed(2)} tokens/s (${t.seconds.toFixed(2)} s: prefill ${t.prefill_s.toFixed(2)} s, ${t.per_token_ms.toFixed(0)} ms per further token)`);
  if (d && t) lines.push(`  @peft / PyTorch tokens/s: ${(d.tokens_per_s / t.tokens_per_s).toFixed(2)}× (goal ≥ 1.0×: ${goal(d.tokens_per_s >= t.tokens_per_s)})`);
  if (d?.recompute_s) lines.push(`  @peft recomputing every step instead: ${d.recompute_s.toFixed(2)} s, cache ${(d.recompute_s / d.seconds).toFixed(1)}× faster (goal ≥ 3×: ${goal(d.recompute_s / d.seconds >= 3)}); same tokens: ${d.same_tokens}`);
}
if (results.roberta) {
  const r = results.roberta;
  lines.push(`\nRoBERTa-base MNLI step (B ${r.plain?.batch ?? r.remat?.batch ?? r.torch?.batch} × T 128, padded rows, nlu-inducer-lora):`);
  for (const [name, x] of [['cpu + @peft/blas, no rematerialisation', r.plain], ['cpu + @peft/blas, 12 blocks rematerialised', r.remat], ['wasm + @peft/blas, 12 blocks rematerialised', r.wasm]]) {
    lines.push(x ? `  @peft  ${name.padEnd(44)} median ${x.median_s.toFixed(2)} s/step   peak RSS ${mb(x.peak_rss_mb)}` : `  @peft  ${name}: FAILED (see above)`);
  }
  if (r.torch) lines.push(`  PyTorch${' '.repeat(47)}median ${r.torch.median_s.toFixed(2)} s/step   peak RSS ${mb(r.torch.peak_rss_mb)}`);
  if (r.plain && r.remat) lines.push(`  checkpointing: ${(r.remat.median_s / r.plain.median_s).toFixed(2)}× the time, ${(r.remat.peak_rss_mb / r.plain.peak_rss_mb).toFixed(2)}× the peak RSS`);
}
if (results.webnlg) lines.push(`\nWebNLG test set (1,862 lines; BLEU, METEOR, TER on seen/unseen/all): ${results.webnlg.wall_s.toFixed(1)} s wall, ${results.webnlg.cpu_s.toFixed(1)} s CPU (goal < 30 s: ${goal(results.webnlg.wall_s < 30)})`);
if (!results.scaling) goals.push("T 128 → 1024 growth ≤ PyTorch's: not measured (the scaling part was not run)");
// the Llama-shaped step of the "models describe themselves" issue
if (results.llama) {
  const l = results.llama;
  lines.push(`\nLlama-shaped training step (SmolLM2-135M shape: ${l.layers} layers × 576, 9 heads, 3 key/value heads, FFN 1,536, vocab 49,152, tied; random weights), B ${l.batch} × T ${l.seq}, LoRA r 8 on q, k, v, o, gate, up, down:`);
  const p = l.peft?.runs[0], t = l.torch?.runs[0];
  lines.push(p ? `  @peft  ${p.backend} + @peft/blas, ${p.remat} blocks rematerialised   median ${l.peft.median_s.toFixed(2)} s/step   peak RSS ${mb(l.peft.peak_rss_mb)}   (${p.trainable.toLocaleString('en-US')} trained; loss ${p.loss.toFixed(3)})` : '  @peft: FAILED (see above)');
  lines.push(t ? `  PyTorch ${t.torch}, transformers ${t.transformers} LlamaForCausalLM (${t.attn}) + PEFT ${t.peft} LoRA, ${t.threads} threads   median ${l.torch.median_s.toFixed(2)} s/step   peak RSS ${mb(l.torch.peak_rss_mb)}   (${t.trainable.toLocaleString('en-US')} trained; loss ${t.loss.toFixed(3)})` : `  PyTorch side: not run (${l.torchMissing ?? 'FAILED, see above'})`);
  if (l.peft && l.torch) {
    const ratio = l.peft.median_s / l.torch.median_s;
    lines.push(`  ratio @peft / PyTorch: step time ${ratio.toFixed(2)}×, step CPU time ${(pooledCpu(l.peft.runs) / pooledCpu(l.torch.runs)).toFixed(2)}×, peak RSS ${(l.peft.peak_rss_mb / l.torch.peak_rss_mb).toFixed(2)}× (${l.peft.runs.length} run${l.peft.runs.length > 1 ? 's' : ''} each, interleaved)`);
    goals.push(`Llama-shaped step ≤ 0.6× PyTorch's: ${ratio.toFixed(2)}× (${t.torch}, B ${l.batch} × T ${l.seq}, ${l.layers} layers) — ${goal(ratio <= 0.6)}`);
  } else goals.push(`Llama-shaped step ≤ 0.6× PyTorch's: not measured (${l.peft ? l.torchMissing ?? 'the PyTorch side failed' : 'the @peft side failed'})`);
} else goals.push("Llama-shaped step ≤ 0.6× PyTorch's: not measured (the llama part was not run)");
if (results.step || results.scaling || results.llama) {
  lines.push(`\ngoals of performance round 4 (against PyTorch 2.x where the machine has it):`);
  for (const g of goals) lines.push(`  ${g}`);
}
console.log(lines.join('\n'));
if (flag('--json')) console.log(JSON.stringify(results));
