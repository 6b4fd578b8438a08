import { lmLossChunks } from '@peft/models-base';

/**
 * Which backend a training run fits, and how many of its blocks to rematerialise, from the model's shape alone.
 *
 * The estimate (bytes) of a step's peak memory, each term measured on GPT-2 small and RoBERTa-base steps
 * (scripts/bench/tape-memory.mjs for the tape, peak RSS for the rest; docs/performance.md):
 * - the frozen weights, 4 bytes a parameter — three times over without native kernels (transposed copies, and
 *   XNNPACK's packed copies on wasm);
 * - per block whose activations the tape keeps: 11 [N, d] tensors (layer-norm outputs, q/k/v and the inducer's keys,
 *   dropout masks), the FFN's [N, inner] input and, on the dense attention path (no native kernels), two [B, H, T, T]
 *   (probabilities, dropout mask; three for RoBERTa, whose λ keeps the unpadded probabilities too) — N = B·T. With
 *   @peft/blas's tiled attention nothing of [B, H, T, T] is kept: f, the rows' log-sum-exps and 10 int32 per row
 *   (13 floats a row of [B, H, T]) instead. All of it times 0.72: the count is an upper bound (masks redrawn in the
 *   backward, tensors a block shares with the next). Since each block runs in its own scope and the backward frees
 *   each gradient as it goes (@peft/core's leanVariableGrads), nothing else grows with the blocks kept;
 * - one block's transients, kept or not (its forward's intermediates, the gradients in flight in its backward): 5.5×
 *   that count;
 * - a gated FFN's block (Llama family: SwiGLU, rotary, grouped-query heads) counts three [N, inner] (gate, up and the
 *   down projection's input) and keeps 1.05× the count, not 0.72×: measured with LoRA (dropout) on all seven projections,
 *   the heaviest common method — each trained site keeps its input (q, k, v share theirs where @peft/blas redraws the
 *   dropout masks) —, SmolLM2-135M's shape at B 8 × T 256: 92.5 MB a kept block (2 → 30 layers, weights apart)
 *   against a count of 90.6 MB; its transients and head ~75 MB, so 1.0× the count for them (the dense factor, 5.5×,
 *   was fitted where GPT-2's head and loss dominated). Since the tiled attention reads grouped-query keys in place
 *   (round 4's third pass) a kept block measures ~76 MB: the factor is kept, ~11 % above the measured peaks;
 * - the LM head: the hidden states' gradient the loss's forward already computed ([N, d], lm-loss.ts) and the
 *   transients of its [rows, V] chunks (logits, their gradient, the products' packing: four chunk-sized buffers,
 *   rows = the largest of @peft/models-base's lmLossChunks);
 * - transients that grow with the model (GEMM packing scratch, the head's table copy): 0.13× the weights;
 * - the runtime itself (Node, tfjs, the wasm module's own memory), ~0.2 GB.
 * Measured (peak RSS, wasm + @peft/blas, 2026-12-07 04:20 UTC, checkpoints read tensor by tensor; estimate in
 * brackets): GPT-2 small B 8 × T 128, none / all 12 rematerialised, 1,464 / 1,074 MB (1,644 / 1,250); the same on the
 * dense attention path 1,563 / 1,155 (1,806 / 1,313); GPT-2 medium, none / all 24, 3,361 / 2,322 (3,379 / 2,328);
 * RoBERTa-base B 32 × T 128, none / all 12, 2,834 / 1,636 (3,322 / 1,746); SmolLM2-135M-shaped (30 × 576, FFN 1,536,
 * vocab 49,152; LoRA r 8 with dropout on all seven projections) B 8 × T 256, none / 2 / 4 of 30 rematerialised,
 * 3,466 / 3,316 / 3,161 MB (3,853 / 3,671 / 3,490), 2 and 10 layers kept 668 / 1,487 (885 / 1,733) (07:14 UTC, with
 * grouped-query keys read in place; 3,687 / 3,544 / 3,357 and 685 / 1,579 at 04:20 UTC, repeated first). Before round 4's
 * second pass (the loss kept the [N, V] logit gradient; checkpoint files read whole: GPT-2 medium's load alone peaked at
 * 2,987 MB) GPT-2 small was 1,523 / 1,190 MB; before the blocks' own scopes and leanVariableGrads a kept block cost
 * 112 MB (its unkept intermediates lived until the forward ended, every gradient until the backward ended).
 */
export interface TrainingShape {
  readonly family: 'nlg' | 'nlu';
  readonly layers: number;
  readonly hidden: number;
  readonly heads: number;
  readonly inner: number;
  readonly vocab: number;
  /** Frozen parameters (the Hugging Face count). */
  readonly parameters: number;
  readonly batch: number;
  /** Tokens per row. */
  readonly seq: number;
  /** A gated FFN (act(gate)·up, Llama's SwiGLU) rather than a dense one. Default false. */
  readonly gatedFfn?: boolean;
}

export interface MemoryEstimate {
  readonly runtime: number;
  readonly weights: number;
  readonly head: number;
  /** One kept block's activations. */
  readonly perBlock: number;
  /** One block's transients (forward intermediates, gradients in flight), whatever is kept. */
  readonly working: number;
}

/**
 * Per byte of the tape count of {@link estimateTrainingMemory}: a kept block's peak memory, and one block's transients
 * (measured, see there) — for dense FFN blocks (GPT-2, RoBERTa) and gated ones (the Llama family).
 */
const FACTORS = { dense: { perBlock: 0.72, working: 5.5 }, gated: { perBlock: 1.05, working: 1.0 } } as const;
/** Transients that grow with the model rather than the batch (packing scratch, the head's table copy), per weight byte. */
const WEIGHTS_WORKING = 0.13;
const GiB = 2 ** 30;
/** What the wasm backend's 4 GiB heap holds in practice, with Node's own memory beside it (peak RSS). */
export const WASM_USABLE_BYTES = 3.6 * GiB;

export function estimateTrainingMemory(s: TrainingShape, options: { nativeKernels: boolean; tiledAttention?: boolean }): MemoryEstimate {
  const n = s.batch * s.seq;
  // dense path: RoBERTa's λ over unpadded keys (the reference's quirk) keeps a third [B, H, T, T], its unpadded
  // probabilities; tiled (native kernels): per query row of each head, lse (and λ's), the kernel's 10 int32
  const attention = (options.tiledAttention ?? options.nativeKernels) ? 13 * n * s.heads : (s.family === 'nlu' ? 3 : 2) * n * s.heads * s.seq;
  const tape = 4 * (11 * n * s.hidden + (s.gatedFfn ? 3 : 1) * n * s.inner + attention);
  const rows = s.batch * (s.seq - 1);
  const chunkRows = Math.max(0, ...lmLossChunks(rows, s.vocab).map(([, r]) => r));
  const head = s.family === 'nlg' ? 4 * rows * s.hidden + 4 * chunkRows * s.vocab * 4 : 0;
  const f = FACTORS[s.gatedFfn ? 'gated' : 'dense'];
  const weights = s.parameters * 4 * (options.nativeKernels ? 1 : 3);
  return { runtime: 0.2 * GiB, weights, head, perBlock: f.perBlock * tape, working: f.working * tape + WEIGHTS_WORKING * s.parameters * 4 };
}

/** Peak bytes with `kept` blocks keeping their activations (the rest rematerialised). */
export function trainingBytes(e: MemoryEstimate, kept: number, layers: number): number {
  return e.runtime + e.weights + e.head + e.perBlock * Math.min(kept, layers) + e.working;
}

/**
 * A step's relative work: its matrix products' FLOPs (the forward pass, a backward pass of about the same — frozen
 * products need only their input's gradient — the LM head both ways, and one more forward of each rematerialised block).
 */
export function relativeStepWork(s: TrainingShape, rematerialised: number): number {
  const n = s.batch * s.seq;
  const block = 2 * n * (4 * s.hidden * s.hidden + 2 * s.hidden * s.inner) + 4 * n * s.seq * s.hidden;
  const head = s.family === 'nlg' ? 4 * n * s.hidden * s.vocab : 0;
  return (2 + rematerialised / s.layers) * s.layers * block + head;
}

/**
 * How much slower a step runs per unit of work than on wasm + @peft/blas (GPT-2 small, B 8 × T 128, the same blocks
 * rematerialised, docs/performance.md): cpu + @peft/blas ~1.15× (every op allocates a JavaScript array where wasm
 * reuses its heap), cpu without native kernels ~30× (pure JavaScript), wasm without them ~8×.
 */
export const BACKEND_SLOWDOWN = { wasmNative: 1, cpuNative: 1.15, wasmPlain: 8, cpuPlain: 30 } as const;

export interface BackendPlan {
  readonly backend: 'tensorflow' | 'wasm' | 'cpu';
  /** Blocks to rematerialise (the first k): `checkpointBlocks`. */
  readonly rematerialised: number;
  /** The estimated peak of a step, bytes. */
  readonly estimate: number;
  /** Why, in words. */
  readonly reason: string;
}

export interface PlanOptions {
  /** Backends that are installed, in any order ('tensorflow' is tfjs-node). */
  readonly installed: readonly string[];
  /** Whether @peft/blas's kernels are available for wasm and cpu. */
  readonly nativeKernels: boolean;
  /** Memory the run may use on a backend without a heap limit, bytes. */
  readonly budget: number;
  /** Whether attention runs tiled (no [B, H, T, T] kept); default: with the native kernels, which bring it. */
  readonly tiledAttention?: boolean;
}

const gb = (b: number) => `${(b / GiB).toFixed(1)} GB`;

/**
 * tfjs-node when installed (native memory, every form native). Otherwise wasm or cpu, whichever runs the step with
 * less estimated time: each keeps as many blocks' activations as its limit holds (wasm: its 4 GiB heap; cpu: the
 * budget) and rematerialises the rest, and cpu runs each unit of work ~1.15× slower. So a model whose step fits the
 * wasm heap with few blocks rematerialised trains on wasm, and one that would rematerialise most of them (or does not
 * fit at all) on cpu.
 */
export function planTrainingBackend(s: TrainingShape, o: PlanOptions): BackendPlan {
  const e = estimateTrainingMemory(s, { nativeKernels: o.nativeKernels, ...(o.tiledAttention !== undefined ? { tiledAttention: o.tiledAttention } : {}) });
  const what = `${s.layers} blocks × ${s.hidden}, B ${s.batch} × T ${s.seq}`;
  const option = (backend: BackendPlan['backend'], limit: number, slowdown: number) => {
    if (trainingBytes(e, 0, s.layers) > limit) return null;
    let kept = 0;
    while (kept < s.layers && trainingBytes(e, kept + 1, s.layers) <= limit) kept++;
    const remat = s.layers - kept;
    return { backend, remat, estimate: trainingBytes(e, kept, s.layers), limit, time: relativeStepWork(s, remat) * slowdown };
  };
  const describe = (x: NonNullable<ReturnType<typeof option>>) =>
    `~${gb(x.estimate)} with ${x.remat === 0 ? 'no block' : `${x.remat} of ${s.layers} blocks`} rematerialised`;
  const done = (x: NonNullable<ReturnType<typeof option>>, why: string): BackendPlan => ({ backend: x.backend, rematerialised: x.remat, estimate: x.estimate, reason: `${why}; ${describe(x)}` });
  if (o.installed.includes('tensorflow')) {
    const t = option('tensorflow', o.budget, 1)!;
    return done(t ?? { backend: 'tensorflow', remat: s.layers, estimate: trainingBytes(e, 0, s.layers), limit: o.budget, time: 0 }, `${what}: tfjs-node holds activations in native memory`);
  }
  const wasm = o.installed.includes('wasm') ? option('wasm', Math.min(WASM_USABLE_BYTES, o.budget), o.nativeKernels ? BACKEND_SLOWDOWN.wasmNative : BACKEND_SLOWDOWN.wasmPlain) : null;
  const cpu = option('cpu', o.budget, o.nativeKernels ? BACKEND_SLOWDOWN.cpuNative : BACKEND_SLOWDOWN.cpuPlain);
  const kernels = o.nativeKernels ? 'with @peft/blas kernels' : 'pure JavaScript: install @peft/blas';
  if (wasm && (!cpu || wasm.time <= cpu.time)) {
    return done(wasm, `${what} fits the wasm heap (${gb(WASM_USABLE_BYTES)} usable)${cpu ? `, and runs it faster than cpu would${cpu.remat !== wasm.remat ? ` (cpu: ${describe(cpu)})` : ''}` : ''}`);
  }
  if (cpu) {
    const why = !o.installed.includes('wasm')
      ? 'wasm is not installed'
      : wasm
        ? `on wasm it would need ${describe(wasm)}, more work than cpu's`
        : `it needs ${gb(trainingBytes(e, 0, s.layers))} even rematerialising every block, over the wasm heap's ${gb(WASM_USABLE_BYTES)}`;
    return done(cpu, `${what}: ${why}: cpu backend (${kernels}) within ${gb(o.budget)}`);
  }
  // nothing fits: the smallest configuration on cpu, and let the run say what ran out
  const least = { backend: 'cpu' as const, remat: s.layers, estimate: trainingBytes(e, 0, s.layers), limit: o.budget, time: 0 };
  return done(least, `${what} needs ${gb(least.estimate)} even rematerialising every block, over the budget of ${gb(o.budget)} (PEFT_MEMORY_BUDGET_GB): cpu backend (${kernels}); lower --batch-size or --max-length`);
}
