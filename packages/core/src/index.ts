// Gradients of every tfjs-core op are registered once, here, for every @peft package that trains.
import '@tensorflow/tfjs-core/dist/register_all_gradients';

export * from './errors.js';
export * from './sites.js';
export * from './spec.js';
export * from './rng.js';
export * from './init.js';
export * from './parameters.js';
export * from './context.js';
export * from './method.js';
export * from './safetensors.js';
export { f16ToF32, f32ToF16, bf16ToF32, f32ToBf16 } from './half.js';
export * from './adapter-file.js';
export * from './tuned.js';
export * from './backend.js';
export * from './fused-kernels.js';
export * from './kernel-registration.js';
export * from './config-schema.js';
export * from './backend-features.js';
export * from './lean-ops.js';
export * from './lean-gradients.js';
export { droppedMatMulT } from './dropped-product.js';
export { valuesAtHand } from './host-values.js';
export { writeFileAtomic, makeDirectory, removeStaleTempFiles, processAlive } from './io.js';
