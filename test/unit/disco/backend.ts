/**
 * Test backend: the project's pick (wasm here), falling back to `cpu` while the wasm training
 * kernels that MoCo/DisCo need (conv and depthwise-conv filter gradients) are not registered yet.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';

const NEEDED = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];

export async function trainingBackend(): Promise<string> {
  // One thread: the threaded wasm build's workers would keep the test process alive, and the
  // machine's cores are shared.
  const s = await ensureBackend({ threads: 1 });
  if (NEEDED.some((k) => !tf.getKernel(k, s.backend))) {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  return tf.getBackend();
}
