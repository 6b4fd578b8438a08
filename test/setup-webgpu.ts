// The webgpu project (vitest.config.ts): after test/setup.ts (cpu), registers tfjs's WebGPU backend through
// @peft/webgpu on whatever adapter Dawn finds — on CI, Mesa's software llvmpipe. The files switch to 'webgpu'
// themselves and compare with 'cpu'. Without an adapter the files skip (saying why); under CI=true that is a failure.
import { webgpuOrSkip } from './webgpu/backend.js';

await webgpuOrSkip();
