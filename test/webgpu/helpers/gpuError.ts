/**
 * Child process: on webgpu (SwiftShader), makes the device reject a shader, then reads a result
 * the way a training step reads its loss; prints READ_OK or READ_FAILED <message>.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { readScalars } from '../../../server/src/engine/tensorReads';

async function main(): Promise<void> {
  const s = await ensureBackend({ backend: 'webgpu', threads: 1 });
  if (s.backend !== 'webgpu') throw new Error(`webgpu did not start: ${JSON.stringify(s.skipped)}`);
  const x = tf.scalar(2);
  console.log(`BEFORE ${(await readScalars(x))[0]}`);
  const device = (tf.backend() as unknown as { device: GPUDevice }).device;
  device.createShaderModule({ code: 'this is not WGSL' });
  try {
    await readScalars(tf.add(x, 1));
    console.log('READ_OK');
  } catch (e) {
    console.log(`READ_FAILED ${e instanceof Error ? e.message : String(e)}`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
