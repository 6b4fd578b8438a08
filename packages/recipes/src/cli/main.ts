import * as tf from '@tensorflow/tfjs-core';
import { join, resolve } from 'node:path';
import { PeftError, selectBackend } from '@peft/core';
import { UsageError } from '../errors.js';
import { RECIPES, TASKS, type TaskName } from '../recipes.js';
import { Options, parseArgs } from './args.js';
import { evalCommand, generateCommand, metricsCommand, presetsCommand } from './other-commands.js';
import { heapExhaustedMessage, isWasmHeapExhausted } from './heap-exhausted.js';
import { TINY_GPT2 } from './paths.js';
import { runTrain, type TrainSettings } from './train.js';

export const USAGE = `peft — parameter-efficient fine-tuning (inducer-tuning, LoRA, adapters, prefix-tuning) on TensorFlow.js

  peft train webnlg|coqa|sst2|mnli --model DIR [--preset NAME] [--data DIR] [--out DIR] [--epochs N]
             [--max-steps N] [--batch-size N] [--lr X] [--seed N] [--resume] [--warmup N] [--accum N]
             [--padding global|batch] [--checkpoint-every N] [--max-train-examples N] [--max-valid-examples N]
             [--test-entries N] [--max-length N] [--label-smoothing X] [--patience N]
             [--checkpoint-blocks all|none|K]   (GPT-2: rematerialised blocks; default all on wasm/cpu)
  peft eval webnlg|sst2|mnli --model DIR --adapter DIR [--data DIR] [--test-entries N] [--max-valid-examples N] [--seed N]
  peft generate --model DIR --adapter DIR --triples "s | p | o; s | p | o"   (or --story TEXT --question Q …)
  peft presets
  peft metrics bleu|ter|meteor --hyp FILE --ref FILE [--ref FILE …] [--lc]
  peft metrics webnlg --hyp FILE [--data WEBNLG_DIR]
  peft metrics coqa --data coqa-dev-v1.0.json --pred PREDICTIONS.json
  peft demo [--out DIR] [--max-steps N]    (what \`npm start\` runs)

Backend: the fastest installed of tfjs-node-gpu, tfjs-node, wasm, cpu (PEFT_BACKEND=wasm|cpu|… to force one).`;

/** Runs the command line; returns the exit code (0 ok, 1 error, 2 usage). Output: results on stdout, the rest on stderr. */
export async function main(argv: readonly string[], io = { out: (s: string) => process.stdout.write(s + '\n'), err: (s: string) => process.stderr.write(s + '\n') }): Promise<number> {
  try {
    const args = parseArgs(argv);
    const [command, sub] = args.positional;
    const o = new Options(args);
    if (!command || command === 'help' || o.flag('help')) {
      io.out(USAGE);
      return command || o.flag('help') ? 0 : 2;
    }
    switch (command) {
      case 'presets':
        o.checkAllUsed('presets');
        await useBackend(io.err);
        io.out(presetsCommand());
        return 0;
      case 'metrics':
        io.out(JSON.stringify(metricsCommand(sub, o)));
        return 0;
      case 'train': {
        if (!sub || !(TASKS as readonly string[]).includes(sub)) throw new UsageError(`peft train needs a task: ${TASKS.join(', ')} (got ${sub ? `'${sub}'` : 'nothing'})`);
        const settings = trainSettings(sub as TaskName, o);
        o.checkAllUsed('train');
        await useBackend(io.err);
        const r = await runTrain({ ...settings, log: io.err });
        io.out(JSON.stringify({ out: r.out, steps: r.steps, first_loss: r.firstLoss, last_loss: r.lastLoss, metrics: r.metrics }));
        return 0;
      }
      case 'demo': {
        const out = o.string('out') ?? join(process.cwd(), 'runs', `demo-${timestamp()}`);
        const maxSteps = o.int('max-steps', 1) ?? 400;
        o.checkAllUsed('demo');
        await useBackend(io.err);
        io.err('demo: inducer + LoRA on the tiny GPT-2 fixture, a WebNLG subset, then BLEU/METEOR/TER on 40 test entries');
        const r = await runTrain({ ...DEMO_SETTINGS, out: resolve(out), maxSteps, log: io.err });
        io.out(JSON.stringify({ out: r.out, steps: r.steps, first_loss: r.firstLoss, last_loss: r.lastLoss, metrics: r.metrics }));
        return 0;
      }
      case 'eval': {
        const m = await (async () => { await useBackend(io.err); return evalCommand(sub, o); })();
        io.out(JSON.stringify(m));
        return 0;
      }
      case 'generate': {
        await useBackend(io.err);
        for (const line of await generateCommand(o)) io.out(line);
        return 0;
      }
      default:
        throw new UsageError(`unknown command '${command}' (train, eval, generate, presets, metrics, demo)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`peft: ${e.message}\n(peft --help for usage)`);
      return 2;
    }
    if (isWasmHeapExhausted(e, () => tf.getBackend())) {
      io.err(`peft: error: ${heapExhaustedMessage(e as Error)}`);
      return 1;
    }
    if (e instanceof PeftError || isNamedInputError(e)) {
      io.err(`peft: error: ${(e as Error).message}`);
      return 1;
    }
    io.err(`peft: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return 1;
  }
}

/** Typed errors of packages that do not derive from PeftError (e.g. eval-metrics' MetricsInputError). */
function isNamedInputError(e: unknown): boolean {
  return e instanceof Error && /Error$/.test(e.name) && e.name !== 'Error' && e.name !== 'TypeError' && e.name !== 'RangeError' && e.name !== 'ReferenceError';
}

async function useBackend(log: (s: string) => void): Promise<void> {
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

function trainSettings(task: TaskName, o: Options): Omit<TrainSettings, 'log'> {
  const padding = o.string('padding');
  if (padding !== undefined && padding !== 'global' && padding !== 'batch') throw new UsageError(`--padding must be global or batch, got '${padding}'`);
  const num = <T>(v: T | undefined): T | undefined => v;
  const s: Record<string, unknown> = {
    task,
    preset: o.string('preset'),
    modelDir: resolve(o.required('model')),
    dataDir: o.string('data'),
    out: resolve(o.string('out') ?? join('runs', `${task}-${timestamp()}`)),
    epochs: num(o.int('epochs', 1)),
    maxSteps: num(o.int('max-steps', 1)),
    batchSize: num(o.int('batch-size', 1)),
    lr: num(o.number('lr')),
    seed: num(o.int('seed', 0)),
    resume: o.flag('resume'),
    warmup: num(o.int('warmup', 0)),
    gradAccumulation: num(o.int('accum', 1)),
    padding,
    checkpointEvery: num(o.int('checkpoint-every', 1)),
    maxTrainExamples: num(o.int('max-train-examples', 1)),
    maxValidExamples: num(o.int('max-valid-examples', 1)),
    testEntries: num(o.int('test-entries', 0)),
    maxLength: num(o.int('max-length', 8)),
    labelSmoothing: num(o.number('label-smoothing')),
    checkpointBlocks: checkpointBlocksOption(o.string('checkpoint-blocks')),
    patience: num(o.int('patience', 0)),
  };
  for (const k of Object.keys(s)) if (s[k] === undefined) delete s[k];
  if (s.checkpointBlocks !== undefined && RECIPES[task].family !== 'nlg') {
    throw new UsageError(`--checkpoint-blocks is implemented for GPT-2 (webnlg, coqa), not for RoBERTa (${task}): lower --batch-size and use --accum instead`);
  }
  return s as unknown as Omit<TrainSettings, 'log'>;
}

/** The embedded default run (`npm start`): see README "peft demo". */
export const DEMO_SETTINGS: Omit<TrainSettings, 'out' | 'log'> = {
  task: 'webnlg',
  preset: 'inducer-lora',
  get modelDir() {
    return TINY_GPT2();
  },
  // A 32-example subset (sequences ≤ 72 tokens) that an 8k-parameter adapter on a random 2-layer GPT-2 can visibly fit.
  epochs: 1000,
  batchSize: 8,
  lr: 2e-2,
  warmup: 10,
  seed: 123,
  labelSmoothing: 0,
  patience: 0,
  maxTrainExamples: 32,
  maxValidExamples: 16,
  testEntries: 40,
  maxLength: 72,
  checkpointEvery: 100,
  padding: 'batch',
};

function checkpointBlocksOption(v: string | undefined): 'all' | 'none' | number | undefined {
  if (v === undefined || v === 'all' || v === 'none') return v;
  const k = Number(v);
  if (!Number.isInteger(k) || k < 0) throw new UsageError(`--checkpoint-blocks must be all, none or a block count, got '${v}'`);
  return k;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}
