/// <reference lib="dom" />
// Greedy continuation of a prompt, and how both pages show one (the prompt in grey, the new text in green).
import { generateGreedy, type Gpt2Model, type Gpt2Tokenizer } from '@peft/models-gpt2-roberta';

export interface Continuation {
  readonly text: string;
  readonly ids: number[];
}

/** Awaits the decoding, as reading tokens back from a GPU backend is asynchronous. */
export async function continuation(model: Gpt2Model, tokenizer: Gpt2Tokenizer, prompt: string, maxNewTokens: number): Promise<Continuation> {
  const ids = (await generateGreedy(model, { inputIds: [tokenizer.encode(prompt)], maxNewTokens })).tokens[0]!;
  return { text: tokenizer.decode(ids), ids };
}

export function showContinuation(el: HTMLElement, prompt: string, text: string): void {
  const p = document.createElement('span');
  p.className = 'prompt';
  p.textContent = prompt;
  const g = document.createElement('span');
  g.className = 'gen';
  g.textContent = text;
  el.replaceChildren(p, g);
}
