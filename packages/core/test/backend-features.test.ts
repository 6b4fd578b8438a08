import { describe, expect, it } from 'vitest';
import { BackendFeatures, backendHasFeature, declareBackendFeature, withdrawBackendFeature } from '@peft/core';

describe('backend features', () => {
  it('are declared and withdrawn per backend; libtensorflow has transposed products built in', () => {
    const f = BackendFeatures.transposedMatMul;
    expect(backendHasFeature(f, 'cpu')).toBe(false);
    expect(backendHasFeature(f, 'tensorflow')).toBe(true);
    declareBackendFeature('cpu', f);
    expect(backendHasFeature(f, 'cpu')).toBe(true);
    expect(backendHasFeature(f, 'wasm')).toBe(false);
    withdrawBackendFeature('cpu', f);
    expect(backendHasFeature(f, 'cpu')).toBe(false);
  });
});
