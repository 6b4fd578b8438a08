// Finds the code blocks of Markdown files that claim to run: a fence whose info string is `<lang> runnable`
// (```ts runnable, ```sh runnable). Other blocks are illustrations and are never executed.

export interface RunnableBlock {
  /** The Markdown file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** `ts`, `typescript`, `js`, `sh`, `bash`, … */
  readonly lang: string;
  /** Words after `runnable` in the info string (e.g. `slow`). */
  readonly tags: readonly string[];
  readonly code: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w-]+)?\s*(.*)$/;

/** Every fenced block of `markdown` whose info string has `runnable` as its second word. */
export function runnableBlocks(markdown: string, file: string): RunnableBlock[] {
  const lines = markdown.split('\n');
  const out: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang = '', rest = ''] = open;
    const words = rest.trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = lines[j]!.trim();
      if (close.startsWith(fence![0]!.repeat(fence!.length)) && close.replace(/[`~]/g, '') === '') break;
      body.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!);
    }
    if (j === lines.length) throw new Error(`${file}:${i + 1}: code block never closed`);
    if (words[0] === 'runnable') out.push({ file, line: i + 1, lang, tags: words.slice(1), code: body.join('\n') + '\n' });
    i = j;
  }
  return out;
}
