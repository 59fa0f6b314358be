/**
 * What a MoCo or DisCo run leaves for others, in TensorFlow.js LayersModel format:
 *   <run>/model/       the encoder: image [B, S, S, C] in [0, 1] -> feature [B, D] (layer `pool`)
 *   <run>/projection/  the MLP head: feature [B, D] -> embedding [B, projectionDim] (unnormalised)
 * model/'s userDefinedMetadata (EncoderMetadata) says what it is. A CARE/supervised experiment
 * with `init: <run>` loads model/ and puts its classifier on the `pool` output; a DisCo
 * experiment with `teacher: <run>` loads both.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
// runs/index imports the method registry: import its modules directly (no cycle).
import { loadModel, readModelMetadata, saveModel } from '../../runs/modelIo';
import type { ContrastiveNet } from './contrastiveNet';
import type { EncoderKind } from './encoders';

export const ENCODER_DIR = 'model';
export const PROJECTION_DIR = 'projection';

export interface EncoderMetadata {
  kind: 'self-supervised-encoder';
  method: 'moco' | 'disco';
  backbone: EncoderKind;
  inputSize: number;
  channels: number;
  featureDim: number;
  /** Name of the pooled-feature layer (the encoder's output). */
  featureLayer: string;
  projectionDim: number;
  /** Images are HWC floats in [0, 1], no further normalisation. */
  inputRange: [number, number];
}

export async function saveContrastiveNet(runDir: string, net: ContrastiveNet, meta: EncoderMetadata): Promise<void> {
  await saveModel(path.join(runDir, ENCODER_DIR), net.encoder, { ...meta });
  await saveModel(path.join(runDir, PROJECTION_DIR), net.head, { kind: 'projection-head', projectionDim: meta.projectionDim });
}

/**
 * The run folder a `teacher:` names: a run folder itself, or a runs folder (such as
 * .medstudio/runs), meaning its newest finished `moco` run — so the sample experiment works
 * right after step 1 without editing. Errors say what was looked for.
 */
export function resolveTeacherRun(dir: string): string {
  if (fs.existsSync(path.join(dir, ENCODER_DIR, 'model.json'))) return dir;
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    throw new Error(`teacher ${dir}: no such folder; train a moco experiment first and name its run folder`);
  }
  const finished = entries
    .map((name) => path.join(dir, name))
    .filter((run) => {
      try {
        const info = JSON.parse(fs.readFileSync(path.join(run, 'run.json'), 'utf8')) as { method?: string; state?: string };
        return info.method === 'moco' && info.state === 'finished' && fs.existsSync(path.join(run, ENCODER_DIR, 'model.json'));
      } catch {
        return false;
      }
    })
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!finished.length) throw new Error(`teacher ${dir}: neither a finished moco run (no ${ENCODER_DIR}/model.json) nor a runs folder holding one`);
  return finished[0]!;
}

/** Loads a finished MoCo/DisCo run's encoder and head; errors name the run and what is missing. */
export async function loadContrastiveNet(runDir: string): Promise<{ net: ContrastiveNet; meta: EncoderMetadata }> {
  const enc = path.join(runDir, ENCODER_DIR);
  if (!fs.existsSync(path.join(enc, 'model.json'))) {
    throw new Error(`${runDir}: no trained encoder (${ENCODER_DIR}/model.json); is it a finished moco run?`);
  }
  const meta = (await readModelMetadata(enc)) as Partial<EncoderMetadata>;
  if (meta.kind !== 'self-supervised-encoder') throw new Error(`${enc}: not a MoCo/DisCo encoder (metadata kind '${String(meta.kind)}')`);
  if (!fs.existsSync(path.join(runDir, PROJECTION_DIR, 'model.json'))) throw new Error(`${runDir}: no projection head (${PROJECTION_DIR}/model.json)`);
  const encoder = await loadModel(enc);
  const head = await loadModel(path.join(runDir, PROJECTION_DIR));
  return { net: { encoder, head }, meta: meta as EncoderMetadata };
}
