/**
 * The UNETR-style ViT's test predictions scored on the volumes' own grid, so that it compares
 * with the U-Net on the same voxels: each test volume is normalised and resized to the ViT's
 * input cube exactly as its training data were, the class probabilities are resized back to the
 * volume's size (linear), argmax, put in the canonical voxel frame the labels are read in
 * (readCase reorients), then Dice and HD95 per class as for the U-Net.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readImage } from '../server/src/data/readers';
import { normaliseImage } from '../server/src/data/datasets/preprocess';
import { readCase } from '../server/src/data/volumes/caseVolume';
import { canonicalAxes, reorient, type Dims3 } from '../server/src/data/volumes/orientation';
import { Unetr3d, type Unetr3dConfig } from '../server/src/networks/unetr3d';
import { ParamStore } from '../server/src/networks/vit3dParams';
import { loadParams } from '../server/src/networks/vit3dWeights';
import { SEGMENTER_FORMAT } from '../server/src/methods/segment/train';
import { scoreCase, summarise, type CaseScores } from '../server/src/methods/segment/unetPredict';
import { resizeLinear } from '../server/src/transforms/resample';

export async function scoreVitOnNativeGrid(runDir: string, cases: { image: string; label: string }[]): Promise<Record<string, number>> {
  const { topology, tensors } = loadParams<{ unetr: Unetr3dConfig; classes: string[] }>(path.join(runDir, 'model', 'segmenter.json'), SEGMENTER_FORMAT);
  const ps = new ParamStore(0);
  const net = new Unetr3d(topology.unetr, ps);
  ps.assignFrom(tensors, { strict: true });
  tensors.forEach((t) => t.dispose());
  const K = topology.classes.length;
  const size = topology.unetr.encoder.inputSize;
  const scores: CaseScores[] = [];
  try {
    for (const c of cases) {
      const raw = await readImage(c.image);
      const truth = await readCase(path.basename(c.image), c.image, c.label);
      const v = normaliseImage({ data: raw.data, dims: raw.dims, components: raw.components, eightBit: raw.pixelType === 'uint8' }, 1, 'auto', 3, c.image);
      const x = resizeLinear(v, [size, size, size]).data;
      const probs = tf.tidy(() => tf.softmax(net.apply(tf.tensor5d(x, [1, size, size, size, 1]))).dataSync() as Float32Array);
      const stored: [number, number, number] = [raw.dims[2]!, raw.dims[1]!, raw.dims[0]!];
      const back = resizeLinear({ data: probs, shape: [size, size, size], channels: K }, stored).data;
      const pred = new Int32Array(back.length / K);
      for (let i = 0; i < pred.length; i++) {
        let best = 0;
        for (let k = 1; k < K; k++) if (back[i * K + k]! > back[i * K + best]!) best = k;
        pred[i] = best;
      }
      // The ViT sees the stored voxel order, as in training; the labels come in the canonical frame.
      const canonical = reorient(pred, raw.dims.slice(0, 3) as Dims3, canonicalAxes(raw.direction));
      scores.push(scoreCase(canonical, truth.label!, truth.shape, truth.spacing, K));
    }
  } finally {
    ps.dispose();
  }
  return summarise(scores, topology.classes);
}
