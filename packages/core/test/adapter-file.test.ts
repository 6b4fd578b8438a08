import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  AdapterMismatchError,
  CheckpointError,
  ConfigError,
  EVAL_CONTEXT,
  MissingTensorError,
  ParameterSet,
  TensorShapeMismatchError,
  attach,
  loadAdapter,
  normal,
  registerMethodType,
  type LinearSite,
  type MethodInstance,
  type ModelSpec,
  type PeftMethod,
  type TunableModel,
} from '@peft/core';
import { describe, expect, it, onTestFinished } from 'vitest';

/** A toy method: a trainable bias on the attention output of every layer. */
interface ShiftConfig { readonly scale: number }
function shift(config: ShiftConfig): PeftMethod<ShiftConfig> {
  if (!(config.scale > 0)) throw new ConfigError('scale', 'must be positive');
  const method: PeftMethod<ShiftConfig> = {
    type: 'test-shift',
    config,
    claims: [{ site: 'attn.output', exclusive: true }],
    describe: () => `shift(${config.scale})`,
    init(spec, options = {}): MethodInstance {
      const params = new ParameterSet();
      for (let i = 0; i < spec.numLayers; i++) params.create(`layers.${i}.shift`, [spec.hiddenSize], normal(1), options.seed ?? 0);
      return {
        method, spec, params,
        hooks: (i) => ({ attnOutput: (h) => tf.add(h, tf.mul(params.get(`layers.${i}.shift`), config.scale)) }),
        dispose: () => params.dispose(),
      };
    },
  };
  return method;
}
registerMethodType('test-shift', (c) => shift(c as ShiftConfig));

/** A toy model of `numLayers` layers that only calls attnOutput. */
class ToyModel implements TunableModel {
  instance: MethodInstance | null = null;
  constructor(readonly spec: ModelSpec) {}
  useMethod(i: MethodInstance | null): void { this.instance = i; }
  baseParameterCount(): number { return 1000; }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      for (let i = 0; i < this.spec.numLayers; i++) h = this.instance?.hooks(i).attnOutput?.(h, EVAL_CONTEXT) ?? h;
      return h;
    });
  }
  getLinearKernel(_l: number, _s: LinearSite): tf.Tensor2D { throw new Error('no linears'); }
  setLinearKernel(): void {}
  getLinearBias(): undefined { return undefined; }
  setLinearBias(): void {}
}
const spec: ModelSpec = { architecture: 'gpt2', numLayers: 2, hiddenSize: 4, numHeads: 2, headDim: 2, intermediateSize: 8 };

describe('attach, save and load an adapter', () => {
  it('round-trips: a fresh model with the loaded adapter computes the same outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adapter-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const model = new ToyModel(spec);
    const tuned = attach(model, shift({ scale: 0.5 }), { seed: 11 });
    expect(tuned.trainableParameters()).toMatchObject({ total: 8, percentOfBase: 0.8 });
    const x = tf.zeros([1, 4]);
    const want = model.forward(x);
    await tuned.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'peft_tfjs.json']);
    const meta = JSON.parse(readFileSync(join(dir, 'peft_tfjs.json'), 'utf8'));
    expect(meta).toEqual({ peft_library: '@peft', format_version: 2, peft_method: { type: 'test-shift', config: { scale: 0.5 } }, model_spec: spec });
    // adapter_config.json holds no @peft field (Hugging Face PEFT warns about every key it does not know)
    expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))).toEqual({});

    const fresh = new ToyModel(spec);
    const loaded = await loadAdapter(dir, fresh);
    const got = fresh.forward(x);
    expect(Array.from(got.dataSync())).toEqual(Array.from(want.dataSync()));
    expect(Array.from(want.dataSync()).some((v) => v !== 0)).toBe(true);
    tf.dispose([x, want, got]);
    const before = tf.memory().numTensors;
    tuned.dispose();
    loaded.dispose();
    expect(tf.memory().numTensors).toBe(before - 4);
  });

  it('refuses another model shape, a missing or reshaped tensor, an unknown method, a non-adapter folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adapter-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const tuned = attach(new ToyModel(spec), shift({ scale: 1 }));
    await tuned.save(dir);
    tuned.dispose();
    await expect(loadAdapter(dir, new ToyModel({ ...spec, hiddenSize: 6, headDim: 3 }))).rejects.toThrow(AdapterMismatchError);
    await expect(loadAdapter(dir, new ToyModel({ ...spec, hiddenSize: 6, headDim: 3 }))).rejects.toThrow(/model_spec\.hiddenSize/);

    const cfgPath = join(dir, 'peft_tfjs.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, model_spec: { ...spec, numLayers: 3 } }));
    await expect(loadAdapter(dir, new ToyModel({ ...spec, numLayers: 3 }))).rejects.toThrow(MissingTensorError);
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, peft_method: { type: 'nope', config: {} } }));
    await expect(loadAdapter(dir, new ToyModel(spec))).rejects.toThrow(/nope/);
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, peft_method: { type: 'test-shift', config: { scale: -1 } } }));
    await expect(loadAdapter(dir, new ToyModel(spec))).rejects.toThrow(AdapterMismatchError);
    writeFileSync(cfgPath, '{ not json');
    await expect(loadAdapter(dir, new ToyModel(spec))).rejects.toThrow(/not valid JSON/);
    writeFileSync(cfgPath, JSON.stringify({ ...cfg, format_version: 3 }));
    await expect(loadAdapter(dir, new ToyModel(spec))).rejects.toThrow(/peft_tfjs\.json: format_version 3/);
    rmSync(cfgPath); // adapter_config.json alone, without @peft's fields: a Hugging Face adapter, named as such
    await expect(loadAdapter(dir, new ToyModel(spec))).rejects.toThrow(/adapter_config\.json: no peft_tfjs\.json beside it.*importHuggingFaceLora/);
    rmSync(join(dir, 'adapter_config.json'));
    await expect(loadAdapter(dir, new ToyModel(spec))).rejects.toThrow(CheckpointError);

    // a reshaped tensor
    const dir2 = mkdtempSync(join(tmpdir(), 'adapter-'));
    onTestFinished(() => rmSync(dir2, { recursive: true, force: true }));
    const wide = attach(new ToyModel({ ...spec, hiddenSize: 6, headDim: 3 }), shift({ scale: 1 }));
    await wide.save(dir2);
    wide.dispose();
    const cfg2 = JSON.parse(readFileSync(join(dir2, 'peft_tfjs.json'), 'utf8'));
    writeFileSync(join(dir2, 'peft_tfjs.json'), JSON.stringify({ ...cfg2, model_spec: spec }));
    await expect(loadAdapter(dir2, new ToyModel(spec))).rejects.toThrow(TensorShapeMismatchError);
  });

  it('leaves the old adapter intact when a save fails midway', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adapter-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const tuned = attach(new ToyModel(spec), shift({ scale: 1 }), { seed: 1 });
    await tuned.save(dir);
    const before = readFileSync(join(dir, 'adapter_model.safetensors'));
    tuned.instance.params.get('layers.0.shift').dispose(); // the next save fails while reading values
    await expect(tuned.save(dir)).rejects.toThrow();
    expect(readFileSync(join(dir, 'adapter_model.safetensors')).equals(before)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'peft_tfjs.json']);
  });

  it('loads an adapter written by an older @peft (format 1: its metadata inside adapter_config.json, no peft_tfjs.json)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adapter-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const model = new ToyModel(spec);
    const tuned = attach(model, shift({ scale: 0.25 }), { seed: 3 });
    await tuned.save(dir);
    // rewrite the directory the way format 1 wrote it
    const meta = JSON.parse(readFileSync(join(dir, 'peft_tfjs.json'), 'utf8'));
    writeFileSync(join(dir, 'adapter_config.json'), JSON.stringify({ ...meta, format_version: 1 }, null, 2));
    rmSync(join(dir, 'peft_tfjs.json'));
    const fresh = new ToyModel(spec);
    const loaded = await loadAdapter(dir, fresh);
    expect(loaded.method.config).toEqual({ scale: 0.25 });
    const x = tf.ones([1, 4]);
    const [a, b] = [model.forward(x), fresh.forward(x)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Array.from(a.dataSync()).some((v) => v !== 1)).toBe(true);
    tf.dispose([x, a, b]);
    // saved again, it is written in format 2
    await loaded.save(dir);
    expect(readdirSync(dir).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'peft_tfjs.json']);
    expect(JSON.parse(readFileSync(join(dir, 'adapter_config.json'), 'utf8'))).toEqual({});
    tuned.dispose();
    loaded.dispose();
  });
});

describe('adapterFromBytes (browser-style, no file system)', () => {
  it('loads the same adapter from the two files held in memory', async () => {
    const { adapterFromBytes } = await import('@peft/core');
    const dir = mkdtempSync(join(tmpdir(), 'adapter-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const model = new ToyModel(spec);
    const tuned = attach(model, shift({ scale: 2 }), { seed: 5 });
    await tuned.save(dir);
    const fresh = new ToyModel(spec);
    const loaded = adapterFromBytes(
      readFileSync(join(dir, 'adapter_config.json'), 'utf8'),
      new Uint8Array(readFileSync(join(dir, 'adapter_model.safetensors'))),
      fresh,
      readFileSync(join(dir, 'peft_tfjs.json'), 'utf8'),
    );
    const x = tf.zeros([1, 4]);
    const [a, b] = [model.forward(x), fresh.forward(x)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(() => adapterFromBytes('{}', new Uint8Array(8), fresh)).toThrow(CheckpointError);
    tf.dispose([x, a, b]);
    tuned.dispose();
    loaded.dispose();
  });

  it('toBytes() holds byte for byte the two files save() writes, and adapterFromBytes reads them back', async () => {
    const { adapterFromBytes } = await import('@peft/core');
    const dir = mkdtempSync(join(tmpdir(), 'adapter-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const model = new ToyModel(spec);
    const tuned = attach(model, shift({ scale: 3 }), { seed: 9 });
    const before = tf.memory().numTensors;
    const bytes = await tuned.toBytes();
    expect(tf.memory().numTensors).toBe(before);
    await tuned.save(dir);
    expect(bytes.configText).toBe(readFileSync(join(dir, 'adapter_config.json'), 'utf8'));
    expect(bytes.metadataText).toBe(readFileSync(join(dir, 'peft_tfjs.json'), 'utf8'));
    expect(Buffer.from(bytes.weights).equals(readFileSync(join(dir, 'adapter_model.safetensors')))).toBe(true);
    const half = await tuned.toBytes({ dtype: 'F16' });
    expect(half.weights.byteLength).toBeLessThan(bytes.weights.byteLength);
    const fresh = new ToyModel(spec);
    const loaded = adapterFromBytes(bytes.configText, bytes.weights, fresh, bytes.metadataText);
    const x = tf.ones([1, 4]);
    const [a, b] = [model.forward(x), fresh.forward(x)];
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([x, a, b]);
    tuned.dispose();
    loaded.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
});
