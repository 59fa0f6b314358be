/**
 * Fine-tuning from a MoCo or DisCo run (`init: <run dir>` in a CARE/supervised experiment): copies
 * the saved encoder's weights (<run>/model/, see savedModel.ts) into a freshly built classifier
 * whose layers carry the same names — networks/resnet.ts buildResNetClassifier for a `resnet`
 * encoder, networks/mobilenet.ts buildMobileNetClassifier for a `mobilenet` (DisCo student) —
 * built with the metadata's backbone, inputSize and channels and the same width and depth. The
 * classifier's own layers (`logits`) keep their initialisation.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, readModelMetadata } from '../../runs/modelIo';
import { ENCODER_DIR, type EncoderMetadata } from './savedModel';

/** The encoder's metadata (backbone, input size, channels, feature width) to build the classifier from. */
export async function encoderRunMetadata(runDir: string): Promise<EncoderMetadata> {
  const dir = path.join(runDir, ENCODER_DIR);
  if (!fs.existsSync(path.join(dir, 'model.json'))) throw new Error(`init ${runDir}: no trained encoder (${ENCODER_DIR}/model.json); is it a finished moco or disco run?`);
  const meta = (await readModelMetadata(dir)) as Partial<EncoderMetadata>;
  if (meta.kind !== 'self-supervised-encoder') throw new Error(`init ${dir}: not a MoCo/DisCo encoder (metadata kind '${String(meta.kind)}')`);
  return meta as EncoderMetadata;
}

/**
 * Copies every encoder weight into the layer of the same name in `target`; returns the names
 * copied. Throws when a shape differs (naming the layer) or when nothing matched.
 */
export async function initFromEncoderRun(target: tfl.LayersModel, runDir: string): Promise<string[]> {
  await encoderRunMetadata(runDir);
  return copyWeightsByName(target, await loadModel(path.join(runDir, ENCODER_DIR)), runDir, { where: 'in the encoder', what: 'this model', keys: 'model.width/depth/channels' });
}

/**
 * Copies `source`'s weights into `target` by layer weight name (shapes must match), then disposes
 * `source`; the names copied. Refuses a shape mismatch, naming the weight, and no name in common.
 */
export function copyWeightsByName(target: tfl.LayersModel, source: tfl.LayersModel, runDir: string, words: { where: string; what: string; keys: string }): string[] {
  try {
    const byName = new Map(target.weights.map((w) => [w.originalName, w]));
    const copied: string[] = [];
    tf.tidy(() => {
      for (const w of source.weights) {
        const t = byName.get(w.originalName);
        if (!t) continue;
        if (t.shape.join() !== w.shape.join()) {
          throw new Error(`init ${runDir}: weight ${w.originalName} is [${w.shape}] ${words.where} but [${t.shape}] in ${words.what} (${words.keys} must match the run's)`);
        }
        t.write(w.read());
        copied.push(w.originalName);
      }
    });
    if (!copied.length) throw new Error(`init ${runDir}: no layer names in common with ${words.what} (is model.backbone the run's?)`);
    return copied;
  } finally {
    source.dispose();
  }
}
