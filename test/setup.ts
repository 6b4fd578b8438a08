// Unit tests run on the pure-JS cpu backend: exact float32 kernels, every op, deterministic.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

await tf.setBackend('cpu');
// Not tfjs's IS_TEST mode: its per-kernel leak check flags tensors a custom gradient saves for the backward pass
// (which the engine disposes after backprop). Tests check leaks by counting tensors before and after instead.
