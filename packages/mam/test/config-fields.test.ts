import { ConfigError, methodFromDescriptor, type MethodDescriptor } from '@peft/core';
import { describe, expect, it } from 'vitest';
import { resolveAdapterConfig, type AdapterConfig } from '@peft/adapter';
import { resolvePrefixConfig, type PrefixConfig } from '@peft/prefix';
import { resolveInducerConfig } from '@peft/inducer';
import { resolveLoraConfig } from '@peft/lora';
import { mixFromConfig } from '@peft/mam';

// Every method refuses a field its config does not have (each config is a zod schema built with @peft/core's
// configObject, which names the unknown field): a typo must
// not fall back to a default silently. Adapter and prefix used to accept them.
describe('unknown config fields are refused, naming the field, by every method', () => {
  const cases: [string, () => unknown, string][] = [
    ['adapter', () => resolveAdapterConfig({ placement: 'ffn-parallel', bottleneck: 42, bottelneck: 8 } as AdapterConfig), 'adapter.bottelneck'],
    ['prefix', () => resolvePrefixConfig({ length: 5, midDimension: 800 } as PrefixConfig), 'prefix.midDimension'],
    ['inducer', () => resolveInducerConfig({ keyRank: 5, valueRnak: 12 }), 'inducer.valueRnak'],
    ['lora', () => resolveLoraConfig({ rank: 4, alhpa: 8 }), 'lora.alhpa'],
  ];
  it.each(cases)('%s', (_name, resolve, field) => {
    let err: unknown;
    try {
      resolve();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
    expect((err as Error).message).toMatch(new RegExp(`^${field.replace('.', '\\.')}: unknown field \\(known: `));
  });

  it('the same configs without the typo are accepted', () => {
    expect(resolveAdapterConfig({ placement: 'ffn-parallel', bottleneck: 42 }).bottleneck).toBe(42);
    expect(resolvePrefixConfig({ length: 5, midDim: 800 }).midDim).toBe(800);
  });
});

// A stored mix (adapter_config.json) is read through its schema: a bad part or an unknown field is named.
describe('a stored mix config is checked by its schema', () => {
  it.each([
    [{ parts: [] }, 'mix.parts'],
    [{ parts: [{ type: 'lora', config: {} }], nmae: 'x' }, 'mix.nmae'],
    [{ parts: [{ type: 'lora' }] }, 'mix.parts.0.config'],
    [{ parts: [{ type: 3, config: {} }] }, 'mix.parts.0.type'],
    [{ parts: [{ type: 'lora', config: {}, extra: 1 }] }, 'mix.parts.0.extra'],
    [{ parts: [{ type: 'lora', config: { rank: 0 } }] }, 'lora.rank'],
    [null, 'mix'],
  ])('%j names %s', (config, field) => {
    let err: unknown;
    try {
      mixFromConfig(config);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).field).toBe(field);
  });

  it('a stored method descriptor (peft_method) is checked by its schema too', () => {
    const fieldOf = (d: unknown): string | undefined => {
      try {
        methodFromDescriptor(d as MethodDescriptor);
      } catch (e) {
        return (e as ConfigError).field;
      }
      return undefined;
    };
    expect(fieldOf({ type: 'lora', config: {}, extra: 1 })).toBe('peft_method.extra');
    expect(fieldOf({ type: 7, config: {} })).toBe('peft_method.type');
    expect(fieldOf({ type: 'lora', config: { rank: -1 } })).toBe('lora.rank');
    expect(fieldOf({ type: 'lora', config: { rank: 2 } })).toBeUndefined();
  });

  it('a valid one rebuilds the mix with its name', () => {
    const m = mixFromConfig({ name: 'm', parts: [{ type: 'lora', config: { rank: 2 } }, { type: 'prefix', config: { length: 3 } }] });
    expect(m.config.name).toBe('m');
    expect(m.parts.map((p) => p.type)).toEqual(['lora', 'prefix']);
  });
});
