/**
 * A ViT (UNETR-style) segmentation run trained with data.patch, as inference needs it: the
 * network from its saved config and weights, and how its inputs were prepared (data.spacing,
 * data.intensity) from `<run>/model/segmenter.json`. Windows are the network's input cube;
 * overlap and the absence of mirroring match the sliding windows that measured its val/test Dice.
 */
import type { Intensity } from '../data/datasets/preprocess';
import { normaliseImage } from '../data/datasets/preprocess';
import { SEGMENTER_FORMAT } from '../methods/segment/train';
import { Unetr3d, type Unetr3dConfig } from '../networks/unetr3d';
import { restoreParams } from '../networks/vit3dWeights';
import type { VolumeSegmenter } from './segmentVolume';
import { unetModelFile } from './unetModel';

export interface SavedVitSegmenter {
  unetr: Unetr3dConfig;
  classes: string[];
  intensity: Intensity;
  /** Absent or null: trained at the volumes' own spacing. */
  spacing?: [number, number, number] | null;
  /** True when trained on patches (data.patch); runs without it squashed whole volumes. */
  patch?: boolean;
}

export interface VitSegmenter extends VolumeSegmenter {
  dispose(): void;
}

export function loadVitSegmenter(runDir: string): VitSegmenter {
  const file = unetModelFile(runDir);
  const { topology, ps, built: net } = restoreParams<SavedVitSegmenter, Unetr3d>(
    file,
    SEGMENTER_FORMAT,
    0,
    (t, store) => {
      if (t.patch !== true) throw new Error('trained on whole volumes squashed to a cube (no data.patch): its windows would not match what it learnt');
      return new Unetr3d(t.unetr, store);
    },
    true,
  );
  const n = topology.unetr.encoder.inputSize;
  return {
    classes: topology.classes,
    spacing: topology.spacing ?? null,
    patch: [n, n, n],
    mirror: false,
    overlap: 0.5,
    largestComponent: false,
    normalise: (v, [d, h, w]) => normaliseImage({ data: v, dims: [w, h, d], components: 1, eightBit: false }, 1, topology.intensity, 3, file).data,
    logits: (x) => net.apply(x),
    dispose: () => ps.dispose(),
  };
}
