import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, MissingTensorError, TensorShapeMismatchError } from './errors.js';
import type { Initializer } from './init.js';
import { Rng } from './rng.js';

/** One row of a trainable-parameter table. */
export interface ParameterRow {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
}

/**
 * An ordered, named set of trainable `tf.Variable`s. Names are stable paths (`layers.3.attn.q.lora_A`) and are what an
 * adapter file stores unless the method maps them (LoRA maps them to Hugging Face PEFT keys).
 */
export class ParameterSet {
  private readonly vars = new Map<string, tf.Variable>();

  /**
   * Creates a variable from an initialiser. The values depend only on (seed, name), not on creation order.
   * Variable names are made unique per set so two sets can coexist in one engine.
   */
  create(name: string, shape: readonly number[], init: Initializer, seed: number): tf.Variable {
    const values = init(shape, Rng.forParameter(seed, name));
    return this.adopt(name, tf.tensor(values, shape as number[], 'float32'));
  }

  /** Takes ownership of `value` (it is disposed into the variable) and adds it under `name`. */
  adopt(name: string, value: tf.Tensor): tf.Variable {
    if (this.vars.has(name)) throw new ConfigError(name, 'a parameter of this name already exists');
    const v = tf.variable(value, true, `${name}#${uniqueId()}`);
    value.dispose();
    this.vars.set(name, v);
    return v;
  }

  /** Adds an existing variable (no copy); used to compose sets. */
  addVariable(name: string, v: tf.Variable): void {
    if (this.vars.has(name)) throw new ConfigError(name, 'a parameter of this name already exists');
    this.vars.set(name, v);
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new ConfigError(name, `no such parameter (have: ${[...this.vars.keys()].slice(0, 8).join(', ')}…)`);
    return v;
  }
  has(name: string): boolean {
    return this.vars.has(name);
  }
  names(): string[] {
    return [...this.vars.keys()];
  }
  variables(): tf.Variable[] {
    return [...this.vars.values()];
  }
  entries(): [string, tf.Variable][] {
    return [...this.vars.entries()];
  }
  get size(): number {
    return this.vars.size;
  }

  /** Total number of scalar parameters. */
  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  rows(): ParameterRow[] {
    return this.entries().map(([name, v]) => ({ name, shape: v.shape, size: v.size }));
  }

  /** A new set whose names carry `prefix` (same variables, no copy). */
  withPrefix(prefix: string): ParameterSet {
    const out = new ParameterSet();
    for (const [k, v] of this.vars) out.addVariable(prefix + k, v);
    return out;
  }

  /** Union of several sets; a repeated name is an error. */
  static union(sets: Iterable<ParameterSet>): ParameterSet {
    const out = new ParameterSet();
    for (const s of sets) for (const [k, v] of s.vars) out.addVariable(k, v);
    return out;
  }

  /** The current values by name (the variables themselves, not copies). */
  toRecord(): Record<string, tf.Tensor> {
    return Object.fromEntries(this.vars);
  }

  /**
   * Assigns values by name. Every parameter must be present with its exact shape; extra names are an error too,
   * so a file for another config cannot half-load. `source` names the file in errors.
   */
  assign(values: Record<string, tf.Tensor>, source = '<memory>'): void {
    for (const [name, v] of this.vars) {
      const t = values[name];
      if (!t) throw new MissingTensorError(source, name);
      if (!sameShape(t.shape, v.shape)) throw new TensorShapeMismatchError(source, name, v.shape, t.shape);
    }
    for (const name of Object.keys(values)) {
      if (!this.vars.has(name)) throw new ConfigError(name, `${source} holds a tensor this method does not have`, { kind: 'data' });
    }
    for (const [name, v] of this.vars) {
      const t = values[name]!;
      if (t === v) continue; // assigning a variable to itself: tfjs would recurse
      if (t.dtype === 'float32') v.assign(t);
      else {
        const cast = tf.cast(t, 'float32');
        v.assign(cast);
        cast.dispose();
      }
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

let idCounter = 0;
function uniqueId(): number {
  return idCounter++;
}
