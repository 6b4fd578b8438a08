#!/usr/bin/env node
// Builds the native addon with node-gyp at install (and in `npm run build`). It needs only a C compiler: the addon
// brings its own GEMM, and builds the system BLAS in beside it where detect-gemm.cjs finds one (OpenBLAS, Accelerate).
// It never fails the install: without a compiler @peft/blas reports itself unavailable, with the reason, and tfjs
// keeps its own kernels. Everything the build printed is kept in build/native-build.log for that reason.
'use strict';
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { detectGemm } = require('./detect-gemm.cjs');

const root = join(__dirname, '..');
const log = join(root, 'build', 'native-build.log');
function keepLog(text) {
  mkdirSync(join(root, 'build'), { recursive: true });
  writeFileSync(log, text);
}

if (process.env.PEFT_BLAS_SKIP_BUILD) {
  console.log('@peft/blas: PEFT_BLAS_SKIP_BUILD is set; not building the native addon');
  process.exit(0);
}
const gyp = findNodeGyp();
if (!gyp) {
  keepLog('node-gyp not found (it comes with npm)\n');
  console.log('@peft/blas: node-gyp not found; the accelerator stays off');
  process.exit(0);
}
const found = detectGemm();
const header = `detection: ${found.notes.join('; ')}${found.error ? `\nerror: ${found.error}` : ''}\n`;
if (found.error) {
  keepLog(header);
  console.log(`@peft/blas: ${found.error}; the accelerator stays off`);
  process.exit(0);
}
// Build against the headers of the running Node (no download): npm's nodedir, else the install prefix's include/node.
const prefix = join(process.execPath, '..', '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
// node-gyp turns options it does not know into gyp variables (binding.gyp's peft_*)
const variables = [
  `--peft_gemm=${found.gemm}`,
  ...(found.include ? [`--peft_cblas_include=${found.include}`, `--peft_cblas_libdir=${found.libdir}`] : []),
  `--peft_openmp_cflags=${found.openmp ? found.openmp.cflags : ''}`,
  `--peft_openmp_ldflags=${found.openmp ? found.openmp.ldflags : ''}`,
];
const args = [gyp, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : []), ...variables];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
const output = `${header}$ node-gyp ${args.slice(1).join(' ')}\n${r.stdout || ''}${r.stderr || ''}${r.error ? String(r.error) : ''}`;
keepLog(output);
const gemm = found.gemm === 'own' ? 'the own GEMM' : `the own GEMM and ${found.gemm === 'openblas' ? 'OpenBLAS' : 'Accelerate'}`;
if (r.status === 0 && existsSync(join(root, 'build', 'Release', 'peft_blas.node'))) {
  console.log(`@peft/blas: built build/Release/peft_blas.node with ${gemm}${found.openmp ? '' : ', without OpenMP (one thread)'}`);
} else {
  const why = output.split('\n').filter((l) => /error|not found/i.test(l)).slice(0, 3).join(' | ');
  console.log(`@peft/blas: native build failed (${why || 'see build/native-build.log'}); the accelerator stays off`);
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
