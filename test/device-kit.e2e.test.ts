import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The device kit end to end (docs/backends.md, "On a real GPU: the device kit"): scripts/device/kit.sh builds it from
// the built packages (`npm run e2e` builds first), it fits in 64 MiB with the tracked tree, and its run.sh runs from
// the unpacked kit in a mount namespace where the system's node binary is masked (so nothing but the kit's node can
// run the JavaScript), on Mesa's llvmpipe (.ci/run installs it) with the kit's own Vulkan/EGL loaders, in the bench's
// reduced shape (llvmpipe binds at most 128 MiB per buffer). PyTorch on CUDA cannot run here: those parts must fail
// as JSON lines while the others go on. Needs root (unshare -m, mount --bind): as on CI.

const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'peft-device-kit-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Line = Record<string, unknown> & { part: string; ok: boolean };

describe('device kit', () => {
  const kitDir = join(work, 'device-kit');
  let kit: { kit_bytes: number; tracked_bytes: number; total_bytes: number; limit_bytes: number; dawn_needs: string; node_needs: string };

  it('builds, and fits in 64 MiB together with the tracked files', () => {
    const out = execFileSync('bash', ['scripts/device/kit.sh', kitDir], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 });
    kit = JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);
    expect(kit.limit_bytes).toBe(64 * 2 ** 20);
    expect(kit.kit_bytes).toBeGreaterThan(10 * 2 ** 20); // node and Dawn are in it
    expect(kit.total_bytes).toBe(kit.kit_bytes + kit.tracked_bytes);
    expect(kit.total_bytes).toBeLessThanOrEqual(kit.limit_bytes);
    expect(kit.dawn_needs).toMatch(/^GLIBC_2\.\d+ GLIBCXX_3\.4\.\d+$/);
    const listing = execFileSync('tar', ['-tJf', join(kitDir, 'kit.tar.xz')], { encoding: 'utf8' }).split('\n');
    expect(listing).toContain('./node');
    expect(listing).toContain('./node_modules/webgpu/dist/linux-x64/dawn.node');
    expect(listing.filter((f) => /dawn\.node$/.test(f))).toHaveLength(1); // the other platforms' binaries left out
    expect(readFileSync(join(kitDir, 'run.sh'), 'utf8')).toBe(readFileSync(join(root, 'scripts/device/run.sh'), 'utf8'));
  });

  it('runs every part from the unpacked kit without the system node, on llvmpipe, one JSON line each', () => {
    const out = join(work, 'out');
    const script = join(work, 'clean-run.sh');
    // a fresh mount namespace: the system's node binary is masked by /dev/null, then run.sh runs from the repo root
    writeFileSync(script, [
      'set -e',
      `mount --bind /dev/null ${realpathSync('/usr/bin/node')}`,
      'if node -v >/dev/null 2>&1 || nodejs -v >/dev/null 2>&1; then echo "the system node still runs" >&2; exit 3; fi',
      `exec bash ${join(kitDir, 'run.sh')} --reduced --quick`,
    ].join('\n'));
    const r = spawnSync('unshare', ['-m', 'bash', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 900_000,
      // the budget: a GPU runs the whole in minutes; llvmpipe on a shared machine needs more (the "before" step alone ~3 min)
      env: { ...process.env, OUT: out, PEFT_KIT_WORK: join(work, 'unpacked'), PEFT_KIT_LOADERS: 'own', PEFT_KIT_BUDGET: '840', PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
    });
    expect(r.stderr).not.toMatch(/the system node still runs/);
    expect(r.status, r.stderr).toBe(0);
    const lines: Line[] = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(readFileSync(join(out, 'results.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual(lines);
    const byPart = Object.fromEntries(lines.map((l) => [l.part, l]));
    expect(lines.map((l) => l.part)).toEqual(['env', 'adapter', 'step-webgpu', 'step-webgpu-before', 'step-torch-fp32', 'step-torch-tf32', 'decode-webgpu', 'decode-torch', 'demo', 'summary']);

    expect(byPart.env).toMatchObject({ ok: true, loaders: 'kit', quick: 1, reduced: 1, nvidia_smi: null });
    expect(byPart.env!.node).toMatch(/^v\d+\./);
    expect(byPart.adapter).toMatchObject({ ok: true, software: true, api: 'opengl' });
    expect(byPart.adapter!.name).toMatch(/llvmpipe/);
    expect((byPart.adapter!.limits as Record<string, number>).maxStorageBufferBindingSize).toBeGreaterThan(0);

    const step = byPart['step-webgpu']!;
    expect(step).toMatchObject({ ok: true, backend: 'webgpu', shape: { layers: 4, embd: 256, heads: 4, batch: 4, seq: 64 } });
    expect(step.loss as number).toBeGreaterThan(9); // ln(50,257) ≈ 10.8 for a random model, smoothed labels
    expect(step.loss as number).toBeLessThan(12);
    const work0 = step.gpu_work as Record<string, number>[];
    expect(work0).toHaveLength(3);
    expect(work0[0]!.pipelines).toBeGreaterThan(10); // compiled in the first step
    for (const w of work0.slice(1)) {
      expect(w.pipelines).toBe(0); // and never again
      expect(w.dispatches).toBeGreaterThan(500);
      expect(w.readbacks).toBe(1); // the loss, the norm and the weights' finiteness, read together at the end of the step
    }
    expect(work0[2]!.dispatches).toBe(work0[1]!.dispatches); // the same step sends the same work

    // the step as before issue 26's cut (three readbacks inside it, tfjs's composed AdamW, norm and dropout masks):
    // the same loss, and more of everything
    const before = byPart['step-webgpu-before']!;
    expect(before).toMatchObject({ ok: true, step: 'host' });
    expect(step.step).toBe('device');
    expect(Math.abs((before.loss as number) - (step.loss as number))).toBeLessThan(1e-5 * (step.loss as number));
    const [w, h] = [(before.gpu_work as Record<string, number>[])[1]!, work0[1]!]; // step 2 of each
    expect(w.readbacks).toBe(3);
    for (const k of ['dispatches', 'submits', 'mappedUploads', 'mappedUploadBytes']) expect(h[k], k).toBeLessThan(w[k]!);

    const decode = byPart['decode-webgpu']!;
    expect(decode).toMatchObject({ ok: true, backend: 'webgpu', new_tokens: 16, context: 64 });
    expect(decode.tokens as number[]).toHaveLength(16);

    // `peft demo` on webgpu, 5 steps (--quick): its metrics and its first and last training steps
    const demo = byPart.demo as Line & { steps: number; first_step: { loss: number }; last_step: { loss: number; step: number }; metrics: Record<string, number> };
    expect(demo, JSON.stringify(demo)).toMatchObject({ ok: true, steps: 5, last_step: { step: 5 } });
    expect(demo.last_step.loss).toBeLessThan(demo.first_step.loss); // it trains
    expect(demo.metrics['test entries']).toBe(40);
    expect(Number.isFinite(demo.metrics.BLEU)).toBe(true);

    // no CUDA here: PyTorch's parts fail, each as one JSON line with its error, and the run went on
    for (const p of ['step-torch-fp32', 'step-torch-tf32', 'decode-torch']) {
      expect(byPart[p]).toMatchObject({ ok: false });
      expect(byPart[p]!.error).toMatch(/exit \d+: .+/);
    }
    expect(byPart.summary).toMatchObject({ ok: true, step_webgpu_s: step.median_s, step_torch_fp32_s: null, failed: 3 });
  });
});
