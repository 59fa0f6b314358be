/**
 * `init: <run dir>` for the detector: the trunk's weights by layer name from a CARE/supervised
 * classifier, a MoCo teacher or DisCo student encoder (all saved under <run>/model/ with the same
 * trunk names), or an earlier detection run (retraining on more boxes: the heads too). A shape
 * mismatch names the layer; a run sharing no layer with this detector is refused.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, readModelMetadata } from '../../runs/modelIo';
import { RUN_FILES } from '../../runs/runDir';

const KINDS = ['classifier', 'self-supervised-encoder', 'detector'];

export async function initDetectorFrom(target: tfl.LayersModel, runDir: string): Promise<{ copied: string[]; kind: string }> {
  const dir = path.join(runDir, RUN_FILES.model);
  if (!fs.existsSync(path.join(dir, 'model.json'))) throw new Error(`init ${runDir}: no trained model (${RUN_FILES.model}/model.json); is it a finished care, supervised, moco, disco or detect run?`);
  const meta = await readModelMetadata(dir);
  const kind = String((meta.medstudio as { kind?: unknown } | undefined)?.kind ?? meta.kind);
  if (!KINDS.includes(kind)) throw new Error(`init ${dir}: a '${kind}' model cannot initialise a detector (it takes ${KINDS.join(', ')} runs)`);
  const source = await loadModel(dir);
  try {
    const byName = new Map(target.weights.map((w) => [w.originalName, w]));
    const copied: string[] = [];
    tf.tidy(() => {
      for (const w of source.weights) {
        const t = byName.get(w.originalName);
        if (!t) continue;
        if (t.shape.join() !== w.shape.join()) throw new Error(`init ${runDir}: weight ${w.originalName} is [${w.shape}] there but [${t.shape}] in this detector (model.backbone/width/depth/channels must match the run's)`);
        t.write(w.read());
        copied.push(w.originalName);
      }
    });
    if (!copied.length) throw new Error(`init ${runDir}: no layer names in common with this detector (is model.backbone the run's?)`);
    return { copied, kind };
  } finally {
    source.dispose();
  }
}
