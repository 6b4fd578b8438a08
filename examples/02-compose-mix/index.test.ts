import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { main } from './index.js';

// test/setup.ts sets IS_TEST, which makes tfjs check every kernel for leaked data ids; under a gradient tape that check
// misfires on the wasm backend (which the example picks, as a user's run would). Leaks are checked by counting tensors.
tf.env().set('IS_TEST', false);

it('mixes inducer + LoRA-Q + parallel FFN adapter and prints the parameter table', async () => {
  const lines: string[] = [];
  const r = await main({ log: (l) => lines.push(l) });
  // tiny GPT-2: d 32, H 4, p 8, 2 layers. Per layer:
  const inducer = 4 * 8 * 5 + 4 * 5 + 4 * 5 * 8 + 4 * 8 + (4 * 8 * 12 + 4 * 12 + 4 * 12 * 32 + 32); // key MLP + extended value MLP: 2,372
  const loraKa = 24 * 32 + 32 * 24 + 32; // A, B and KA's scaled bias: 1,568
  const adapter = 2 * 32 + (2 * 32 + 1) * 42 + 32; // LN before + down + up: 2,826
  expect(r.total).toBe(2 * (inducer + loraKa + adapter)); // 13,532
  expect(r.rows.reduce((a, row) => a + row.count, 0)).toBe(r.total);
  expect(r.rows.every((row) => row.layers === 2)).toBe(true);
  expect(r.rows.map((row) => row.part)).toEqual([...Array(8).fill('inducer0'), ...Array(3).fill('lora1'), ...Array(6).fill('adapter2')]);
  // GPT-2 small, from the packages' closed forms: inducer 12·(1548·5 + 768 + 9996·12 + 768), KA LoRA 12·(1536·24 + 768),
  // adapter_KA(42, LN) 12·(2·768 + 1537·42 + 768)
  expect(r.gpt2SmallTotal).toBe(1_550_736 + 451_584 + 802_296);
  expect(r.table.split('\n')).toHaveLength(2 + 17 + 1);
  expect(r.table).toMatch(/^adapter2 +ffn_parallel\.down\.weight +\[32, 42\] +2 +2,688$/m);
  expect(lines.join('\n')).toContain('on GPT-2 small the same mix has 2,804,616 (2.25 % of 124,439,808)');
});
