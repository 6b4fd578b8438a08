import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  ConfigError,
  MissingTensorError,
  NonFiniteTensorError,
  PeftError,
  SafetensorsTruncatedError,
  ShapeError,
  TensorShapeMismatchError,
  isPeftError,
} from '../src/index.js';

const distErrors = fileURLToPath(new URL('../dist/errors.cjs', import.meta.url));

describe('the error root', () => {
  it('every error carries a code and a kind; ConfigError is input, file errors data, a bare ShapeError internal', () => {
    const c = new ConfigError('lr', 'must be > 0');
    expect([c.code, c.kind, c.message, c.name]).toEqual(['E_CONFIG', 'input', 'lr: must be > 0', 'ConfigError']);
    expect(new ConfigError('config.json: n_layer', 'too big', { kind: 'data' }).kind).toBe('data');
    expect(new MissingTensorError('a.safetensors', 'w').kind).toBe('data');
    expect(new SafetensorsTruncatedError('a.safetensors', undefined, 'ends early').kind).toBe('data');
    expect(new ShapeError('labels', [2], [3]).kind).toBe('internal');
    expect(new PeftError('E_X', 'x').kind).toBe('data');
  });

  it('the shape mismatch of a file is the one ShapeError, naming the file, and still a TensorShapeMismatchError', () => {
    const e = new TensorShapeMismatchError('m.safetensors', 'h.0.w', [2, 3], [3, 2]);
    expect(e).toBeInstanceOf(ShapeError);
    expect(e).toBeInstanceOf(TensorShapeMismatchError);
    expect(e.message).toBe("m.safetensors: tensor 'h.0.w' has shape [3, 2], expected [2, 3]");
    expect([e.code, e.kind, e.path, e.tensor]).toEqual(['E_TENSOR_SHAPE', 'data', 'm.safetensors', 'h.0.w']);
    expect(new ShapeError('x', [1], [2])).not.toBeInstanceOf(TensorShapeMismatchError);
  });

  it('isPeftError and instanceof tell a PeftError from a SyntaxError or an error that only looks like one', () => {
    expect(isPeftError(new NonFiniteTensorError('m.safetensors', 'w', 3, NaN))).toBe(true);
    let syntax: unknown;
    try {
      JSON.parse('{');
    } catch (e) {
      syntax = e;
    }
    expect(isPeftError(syntax)).toBe(false);
    const lookalike = Object.assign(new Error('x'), { name: 'ConfigError', code: 'E_CONFIG', kind: 'input' });
    expect(isPeftError(lookalike)).toBe(false);
    expect(lookalike instanceof PeftError).toBe(false);
    expect(isPeftError(null)).toBe(false);
    expect(isPeftError('E_CONFIG')).toBe(false);
  });

  it('holds across two copies of the package (the built CommonJS entry and the source)', () => {
    expect(existsSync(distErrors), 'build @peft/core first').toBe(true);
    const other = createRequire(import.meta.url)(distErrors) as typeof import('../src/errors.js');
    expect(other.PeftError).not.toBe(PeftError);
    const theirs = new other.MissingTensorError('b.safetensors', 'w');
    expect(isPeftError(theirs)).toBe(true);
    expect(theirs instanceof PeftError).toBe(true);
    expect(theirs instanceof CheckpointError).toBe(true);
    expect(MissingTensorError.isInstance(theirs)).toBe(true);
    expect(ShapeError.isInstance(theirs)).toBe(false);
    expect(theirs instanceof ConfigError).toBe(false);
    const ours = new ConfigError('f', 'bad');
    expect(other.isPeftError(ours)).toBe(true);
    expect(ours instanceof other.ConfigError).toBe(true);
    expect(ours instanceof other.CheckpointError).toBe(false);
  });
});
