#!/usr/bin/env node
// The `peft` command: runs the built CLI. This file exists before any build, so npm links the bin at install time
// even in a fresh checkout whose dist/ is built afterwards.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('peft: @peft/recipes is not built (dist/cli.js is missing); run `npm run build`');
  process.exit(1);
}
await import(cli.href);
