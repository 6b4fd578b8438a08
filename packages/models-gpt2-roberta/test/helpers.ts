import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../../../test-fixtures/', import.meta.url));
export const TINY_GPT2 = `${FIXTURES}tiny-gpt2`;
export const TINY_ROBERTA = `${FIXTURES}tiny-roberta`;
