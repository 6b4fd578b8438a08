// @peft/recipes in a browser (the `browser` export condition, which bundlers such as Vite, webpack and esbuild pick
// for a page): everything of index.ts that a page can run, without the Node-only parts that would drag their packages
// into a page's bundle: the sweep queue (bullmq, ioredis, child processes) and the SVG/PNG report charts (vega, resvg,
// fonts). The data readers and training checkpoints that take file paths stay: their node:fs/node:path imports are
// mapped to nothing by package.json's `browser` field, and a page that does not call them never touches them.
export * from './errors.js';
export * from './data/tokenizer.js';
export * from './data/special-tokens.js';
export * from './data/read-file.js';
export * from './data/webnlg-examples.js';
export * from './data/webnlg-json.js';
export * from './data/webnlg-xml.js';
export * from './data/lm-example.js';
export * from './data/webnlg-sequence.js';
export * from './data/coqa.js';
export * from './data/coqa-sequence.js';
export * from './data/tsv.js';
export * from './data/glue.js';
export * from './data/glue-sequence.js';
export * from './data/batching.js';
export * from './train/adamw.js';
export * from './train/schedule.js';
export * from './train/clip.js';
export * from './train/device-step.js';
export * from './train/finite.js';
export * from './train/loss.js';
export * from './train/data-order.js';
export * from './train/checkpoint.js';
export * from './train/loop.js';
export * from './train/memory-plan.js';
export * from './recipes.js';
export * from './presets.js';
export * from './task/nlg.js';
export * from './task/nlu.js';
export * from './report/training-chart.js';
export * from './report/markdown.js';
