// The webgpu project (vitest.config.ts): after test/setup.ts (cpu), registers tfjs's WebGPU backend through
// @peft/webgpu on whatever adapter Dawn finds — on CI, Mesa's software llvmpipe. The files switch to 'webgpu'
// themselves and compare with 'cpu'. Without an adapter the files skip (saying why); under CI=true that is a failure.
import { webgpuForTests } from './webgpu/backend.js';

const state = await webgpuForTests();
if (!state.ready) {
  if (process.env.CI === 'true') throw new Error(`CI=true: the webgpu tests need a WebGPU adapter: ${state.reason}`);
  process.stderr.write(`webgpu tests skipped: ${state.reason}\n`);
}
