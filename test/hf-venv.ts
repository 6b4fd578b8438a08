// The Python side of the e2e tests that compare with Hugging Face: transformers + peft + PyTorch (CPU) + tokenizers in
// one venv, made on first use from the machine's local Python package index (`pip config list`) and cached in
// test-output/hf-venv. Without that index a test says why and skips — outside CI; under CI=true a missing part fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { underCi } from './ci.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const VENV = join(root, 'test-output/hf-venv');
const MODULES = ['torch', 'transformers', 'peft', 'tokenizers', 'safetensors', 'numpy'];

/** The venv's python, made on first use; or why there is none. */
function pythonOrReason(): { python?: string; reason?: string } {
  const python = join(VENV, 'bin/python');
  const ready = (): boolean => spawnSync(python, ['-c', `import ${MODULES.join(', ')}`], { stdio: 'ignore' }).status === 0;
  if (existsSync(python) && ready()) return { python };
  const cfg = spawnSync('python3', ['-m', 'pip', 'config', 'list'], { encoding: 'utf8' });
  const urls = (cfg.stdout ?? '').split('\n').filter((l) => /index-url=/.test(l)).flatMap((l) => l.split('=')[1]!.replace(/'/g, '').split(/\s+/)).filter(Boolean);
  if (cfg.status !== 0 || urls.length === 0) return { reason: 'no local Python package index (`pip config list` names no index-url): transformers + peft cannot be installed here' };
  mkdirSync(join(root, 'test-output'), { recursive: true });
  if (!existsSync(python)) execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  // the configured index only (the public one is not reachable from these machines)
  const idx = ['--index-url', urls[0]!, ...urls.slice(1).flatMap((u) => ['--extra-index-url', u])];
  execFileSync(join(VENV, 'bin/pip'), ['install', '-q', ...idx, ...MODULES], { stdio: 'inherit', timeout: 1_200_000 });
  return ready() ? { python } : { reason: `the venv at ${VENV} cannot import ${MODULES.join(', ')}` };
}

let cached: { python?: string; reason?: string } | undefined;

/**
 * The venv's python for the e2e test `label`, or undefined after a warning that names why (the test then skips);
 * under CI=true a missing venv throws instead.
 */
export function huggingFacePython(label: string): string | undefined {
  cached ??= pythonOrReason();
  if (cached.python) return cached.python;
  if (underCi) throw new Error(`${label}: ${cached.reason}`);
  console.warn(`SKIPPED ${label}: ${cached.reason}`);
  return undefined;
}
