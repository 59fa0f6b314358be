/**
 * `init: <run dir>` for the detector: the trunk's weights by layer name from a CARE/supervised
 * classifier, a MoCo teacher or DisCo student encoder (all saved under <run>/model/ with the same
 * trunk names), or an earlier detection run (retraining on more boxes: the heads too). A shape
 * mismatch names the layer; a run sharing no layer with this detector is refused.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadModel, readModelMetadata } from '../../runs/modelIo';
import { RUN_FILES } from '../../runs/runDir';
import { copyWeightsByName } from '../moco/initFrom';

const KINDS = ['classifier', 'self-supervised-encoder', 'detector'];

export async function initDetectorFrom(target: tfl.LayersModel, runDir: string): Promise<{ copied: string[]; kind: string }> {
  const dir = path.join(runDir, RUN_FILES.model);
  if (!fs.existsSync(path.join(dir, 'model.json'))) throw new Error(`init ${runDir}: no trained model (${RUN_FILES.model}/model.json); is it a finished care, supervised, moco, disco or detect run?`);
  const meta = await readModelMetadata(dir);
  const kind = String((meta.medstudio as { kind?: unknown } | undefined)?.kind ?? meta.kind);
  if (!KINDS.includes(kind)) throw new Error(`init ${dir}: a '${kind}' model cannot initialise a detector (it takes ${KINDS.join(', ')} runs)`);
  const copied = copyWeightsByName(target, await loadModel(dir), runDir, { where: 'there', what: 'this detector', keys: 'model.backbone/width/depth/channels' });
  return { copied, kind };
}
