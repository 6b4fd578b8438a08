import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describeModelFolder, presetRegistry, RECIPES, TASKS, type TaskName } from '@peft/recipes';
import { SweepFileError } from './errors.js';
import { checkSeed, checkTrainFlag, type TrainFlagValue } from './train-flags.js';

/** One task of a sweep: which presets and seeds to run, and the `peft train` options for its jobs. */
export interface SweepTask {
  readonly task: TaskName;
  readonly presets?: readonly string[];
  readonly seeds?: readonly number[];
  /** Options of `peft train` for this task's jobs, over the sweep's `train`. */
  readonly train: Readonly<Record<string, TrainFlagValue>>;
}

/** A sweep file, checked, with its paths made absolute (relative paths are relative to the file's folder). */
export interface SweepSpec {
  readonly file: string;
  /** Names the sweep: its jobs' ids start with it, and `peft sweep status` finds them by it. */
  readonly name: string;
  /** The shared output root: one run folder per job. */
  readonly out: string;
  /** The checkpoint folder per task. */
  readonly models: Readonly<Partial<Record<TaskName, string>>>;
  readonly data?: string;
  readonly tasks: readonly SweepTask[];
  /** `peft train` options for every job. */
  readonly train: Readonly<Record<string, TrainFlagValue>>;
  /** The method each report table compares every other row with (per family); default: the task's default preset. */
  readonly against: readonly string[];
}

const TOP_FIELDS = ['name', 'out', 'model', 'data', 'tasks', 'presets', 'seeds', 'train', 'against'];
const TASK_FIELDS = ['presets', 'seeds', 'train'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Reads a sweep file: JSON (`.json`) or YAML (anything else; YAML also reads JSON). */
export function readSweepFile(path: string): SweepSpec {
  const file = resolve(path);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new SweepFileError(file, '', `cannot be read (${(e as Error).message})`, { cause: e, kind: 'data' });
  }
  let doc: unknown;
  try {
    doc = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new SweepFileError(file, '', `is not valid ${extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`, { cause: e });
  }
  return parseSweep(doc, file);
}

/** Checks a parsed sweep document; every error names the field at fault. */
export function parseSweep(doc: unknown, file: string): SweepSpec {
  const base = dirname(file);
  const fail = (field: string, message: string): never => {
    throw new SweepFileError(file, field, message);
  };
  const top = record(doc, '', fail);
  for (const k of Object.keys(top)) if (!TOP_FIELDS.includes(k)) fail(k, `is not a sweep field (known: ${TOP_FIELDS.join(', ')})`);
  const name = typeof top.name === 'string' && NAME.test(top.name) ? top.name : fail('name', `must be 1–64 letters, digits, '.', '_' or '-' (got ${JSON.stringify(top.name)})`);
  const out = path(top.out, 'out', base, fail) ?? fail('out', 'is required: the shared output root (one run folder per job)');
  const data = path(top.data, 'data', base, fail);
  const train = trainFlags(top.train, 'train', fail);
  const presets = top.presets === undefined ? undefined : stringList(top.presets, 'presets', fail);
  const seeds = top.seeds === undefined ? undefined : seedList(top.seeds, 'seeds', fail);

  const tasks: SweepTask[] = [];
  if (Array.isArray(top.tasks)) {
    top.tasks.forEach((t, i) => tasks.push({ task: taskName(t, `tasks[${i}]`, fail), train: {} }));
  } else if (top.tasks !== null && typeof top.tasks === 'object') {
    for (const [t, v] of Object.entries(top.tasks as Record<string, unknown>)) {
      const task = taskName(t, `tasks.${t}`, fail);
      const body = v === null || v === undefined ? {} : record(v, `tasks.${t}`, fail);
      for (const k of Object.keys(body)) if (!TASK_FIELDS.includes(k)) fail(`tasks.${t}.${k}`, `is not a task field (known: ${TASK_FIELDS.join(', ')})`);
      tasks.push({
        task,
        ...(body.presets !== undefined ? { presets: stringList(body.presets, `tasks.${t}.presets`, fail) } : {}),
        ...(body.seeds !== undefined ? { seeds: seedList(body.seeds, `tasks.${t}.seeds`, fail) } : {}),
        train: trainFlags(body.train, `tasks.${t}.train`, fail),
      });
    }
  } else fail('tasks', `must be a list of tasks or a map task → {presets, seeds, train} (tasks: ${TASKS.join(', ')})`);
  if (!tasks.length) fail('tasks', 'names no task');
  if (new Set(tasks.map((t) => t.task)).size !== tasks.length) fail('tasks', 'names a task twice');

  const registry = presetRegistry();
  for (const t of tasks) {
    const field = t.presets ? `tasks.${t.task}.presets` : 'presets';
    for (const p of t.presets ?? presets ?? []) {
      const preset = registry[p];
      if (!preset) fail(field, `unknown preset '${p}' (known: ${Object.keys(registry).join(', ')})`);
      else if (preset.family !== RECIPES[t.task].family && t.presets) {
        fail(field, `'${p}' is an ${preset.family.toUpperCase()} preset; ${t.task} needs an ${RECIPES[t.task].family.toUpperCase()} one`);
      }
    }
  }
  // top-level presets apply to the tasks of their family; each task must be left with at least one
  const withDefaults: SweepTask[] = tasks.map((t) => {
    const own = t.presets ?? presets?.filter((p) => registry[p]!.family === RECIPES[t.task].family);
    if (own && !own.length) fail('presets', `names no ${RECIPES[t.task].family.toUpperCase()} preset for ${t.task}`);
    const s = t.seeds ?? seeds;
    return { ...t, ...(own ? { presets: own } : {}), ...(s ? { seeds: s } : {}) };
  });
  const models = modelPaths(top.model, withDefaults.map((t) => t.task), base, fail);
  const against = top.against === undefined ? [] : stringList(top.against, 'against', fail);
  for (const a of against) if (!registry[a]) fail('against', `unknown preset '${a}' (known: ${Object.keys(registry).join(', ')})`);
  return { file, name, out, models, ...(data ? { data } : {}), tasks: withDefaults, train, against };
}

type Fail = (field: string, message: string) => never;

function record(v: unknown, field: string, fail: Fail): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail(field, `must be a map of fields${field ? '' : ' (the whole file)'}`);
  return v as Record<string, unknown>;
}

function path(v: unknown, field: string, base: string, fail: Fail): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || !v) return fail(field, `must be a path (got ${JSON.stringify(v)})`);
  return isAbsolute(v) ? v : resolve(base, v);
}

function stringList(v: unknown, field: string, fail: Fail): string[] {
  const xs = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(xs) || !xs.length || xs.some((x) => typeof x !== 'string' || !x)) return fail(field, `must be a non-empty list of names (got ${JSON.stringify(v)})`);
  if (new Set(xs).size !== xs.length) fail(field, 'names one entry twice');
  return xs as string[];
}

function seedList(v: unknown, field: string, fail: Fail): number[] {
  if (!Array.isArray(v) || !v.length) return fail(field, `must be a non-empty list of seeds (got ${JSON.stringify(v)})`);
  const seeds = v.map((x, i) => {
    const r = checkSeed(x); // as `peft train --seed` checks it
    return 'error' in r ? fail(`${field}[${i}]`, r.error) : r.ok;
  });
  if (new Set(seeds).size !== seeds.length) fail(field, 'names one seed twice');
  return seeds;
}

function taskName(v: unknown, field: string, fail: Fail): TaskName {
  if (typeof v !== 'string' || !(TASKS as readonly string[]).includes(v)) return fail(field, `unknown task ${JSON.stringify(v)} (known: ${TASKS.join(', ')})`);
  return v as TaskName;
}

function trainFlags(v: unknown, field: string, fail: Fail): Record<string, TrainFlagValue> {
  if (v === undefined || v === null) return {};
  const out: Record<string, TrainFlagValue> = {};
  for (const [k, x] of Object.entries(record(v, field, fail))) {
    const r = checkTrainFlag(k, x);
    if ('error' in r) fail(`${field}.${k}`, r.error);
    else out[k] = r.ok;
  }
  return out;
}

/** `model`: one folder for every task, or a map keyed by family (`nlg`, `nlu`) or task (a task's key wins). */
function modelPaths(v: unknown, tasks: readonly TaskName[], base: string, fail: Fail): Partial<Record<TaskName, string>> {
  const out: Partial<Record<TaskName, string>> = {};
  if (typeof v === 'string') {
    const families = new Set(tasks.map((t) => RECIPES[t].family));
    if (families.size > 1) fail('model', 'one folder cannot serve both GPT-2 (webnlg, coqa) and RoBERTa (sst2, mnli) tasks: give a map {nlg: DIR, nlu: DIR}');
    for (const t of tasks) out[t] = path(v, 'model', base, fail)!;
    return out;
  }
  if (v === undefined || v === null) return fail('model', 'is required: a checkpoint folder, or a map {nlg: DIR, nlu: DIR} (or per task)');
  const m = record(v, 'model', fail);
  for (const k of Object.keys(m)) {
    if (k !== 'nlg' && k !== 'nlu' && !(TASKS as readonly string[]).includes(k)) fail(`model.${k}`, `is neither a family (nlg, nlu) nor a task (${TASKS.join(', ')})`);
  }
  for (const t of tasks) {
    const key = m[t] !== undefined ? t : RECIPES[t].family;
    out[t] = path(m[key], `model.${key}`, base, fail) ?? fail(`model.${RECIPES[t].family}`, `is required for ${t} (no model.${t} either)`);
  }
  return out;
}

/**
 * Checks that each task's model folder is a checkpoint of the right kind, with the reader `peft train` loads it with
 * (a missing folder or config.json is the same typed error), before any job is planned or queued.
 */
export async function checkSweepModels(spec: SweepSpec): Promise<void> {
  for (const t of spec.tasks) {
    const dir = spec.models[t.task]!;
    const family = RECIPES[t.task].family;
    let found: { modelType: string; kind: string };
    try {
      found = await describeModelFolder(dir);
    } catch (e) {
      throw new SweepFileError(spec.file, `model.${family}`, (e as Error).message, { cause: e });
    }
    const want = family === 'nlg' ? 'causal-lm' : 'classifier';
    if (found.kind !== want) {
      const needs = family === 'nlg' ? 'GPT-2 or another causal language model' : 'RoBERTa or another sequence classifier';
      throw new SweepFileError(spec.file, `model.${family}`, `${dir} holds a ${found.modelType} model; ${t.task} needs ${needs}`);
    }
  }
}
