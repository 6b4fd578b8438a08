#!/usr/bin/env node
// Builds the optional OpenBLAS addon with node-gyp. It never fails the install: without a compiler or OpenBLAS
// (Debian: `apt-get install libopenblas-dev`), @peft/blas reports itself unavailable and tfjs keeps its own kernels.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
if (process.env.PEFT_BLAS_SKIP_BUILD) {
  console.log('@peft/blas: PEFT_BLAS_SKIP_BUILD is set; not building the native addon');
  process.exit(0);
}
const gyp = findNodeGyp();
if (!gyp) {
  console.log('@peft/blas: node-gyp not found; the accelerator stays off');
  process.exit(0);
}
// Build against the headers of the running Node (no download): npm's nodedir, else the install prefix's include/node.
const prefix = join(process.execPath, '..', '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
const args = [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (r.status === 0 && existsSync(join(root, 'build', 'Release', 'peft_blas.node'))) {
  console.log('@peft/blas: built build/Release/peft_blas.node against OpenBLAS');
} else {
  const why = (r.stderr || r.stdout || '').split('\n').filter((l) => /error|cblas|openblas/i.test(l)).slice(0, 3).join(' | ');
  console.log(`@peft/blas: native build failed (${why || 'see node-gyp output'}); the accelerator stays off`);
}
process.exit(0);

function findNodeGyp() {
  const candidates = [];
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  const npmDir = join(process.execPath, '..', '..', 'lib', 'node_modules', 'npm');
  candidates.push(join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c));
}
