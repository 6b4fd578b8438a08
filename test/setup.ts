// Unit tests run on the pure-JS cpu backend: exact float32 kernels, every op, deterministic.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

await tf.setBackend('cpu');
tf.env().set('IS_TEST', true);
