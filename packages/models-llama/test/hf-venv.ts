// The Python side of the e2e tests: transformers + peft + PyTorch (CPU) in a venv made from the machine's local Python
// package index (`pip config list`), cached in test-output/hf-venv (the venv the HF interop e2e of @peft/recipes makes).
// Without that index: undefined python and the reason (the caller skips with it, or fails under CI=true).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const VENV = join(root, 'test-output/hf-venv');

/** The venv's python, made on first use; or why there is none. */
export function pythonOrReason(): { python?: string; reason?: string } {
  const python = join(VENV, 'bin/python');
  const ready = (): boolean => spawnSync(python, ['-c', 'import torch, transformers, peft, tokenizers, safetensors'], { stdio: 'ignore' }).status === 0;
  if (existsSync(python) && ready()) return { python };
  const cfg = spawnSync('python3', ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' });
  const urls = (cfg.stdout ?? '').split('\n').filter((l) => /index-url=/.test(l)).flatMap((l) => l.split('=')[1]!.replace(/'/g, '').split(/\s+/)).filter(Boolean);
  if (cfg.status !== 0 || urls.length === 0) return { reason: 'no local Python package index (`pip config list` names no index-url): transformers + peft cannot be installed here' };
  mkdirSync(join(root, 'test-output'), { recursive: true });
  execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  // the configured index only (the public one is not reachable from these machines)
  const idx = ['--index-url', urls[0]!, ...urls.slice(1).flatMap((u) => ['--extra-index-url', u])];
  execFileSync(join(VENV, 'bin/pip'), ['install', '-q', ...idx, 'torch', 'transformers', 'peft', 'safetensors', 'numpy'], { stdio: 'inherit', timeout: 1_200_000 });
  return ready() ? { python } : { reason: `the venv at ${VENV} cannot import torch, transformers, peft` };
}
