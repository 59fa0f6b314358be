/**
 * Test backend: the project's pick (wasm here), falling back to `cpu` while the wasm training
 * kernels that MoCo/DisCo need (conv and depthwise-conv filter gradients) are not registered yet.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';

const NEEDED = ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput'];

export async function trainingBackend(): Promise<string> {
  const s = await ensureBackend();
  if (NEEDED.some((k) => !tf.getKernel(k, s.backend))) {
    await tf.setBackend('cpu');
    await tf.ready();
  }
  return tf.getBackend();
}
