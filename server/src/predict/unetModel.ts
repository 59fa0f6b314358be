/**
 * A trained U-Net run as inference needs it: the network rebuilt from the saved config, its
 * weights, the plan (spacing, normalisation, patch), the fingerprint (CT normalisation uses
 * the dataset's intensity statistics) and the class names, all from `<run>/model/segmenter.json`.
 */
import * as path from 'node:path';
import type { DatasetFingerprint } from '../data/volumes/fingerprint';
import { normaliseIntensities } from '../data/volumes/normalise';
import { Unet3d, type Unet3dConfig } from '../networks/unet3d';
import { restoreParams } from '../networks/vit3dWeights';
import type { UnetPlan } from '../methods/segment/unetPlan';
import { UNET_FORMAT } from '../methods/segment/unetTrain';
import type { VolumeSegmenter } from './segmentVolume';

export interface UnetModel extends VolumeSegmenter {
  net: Unet3d;
  plan: UnetPlan;
  fingerprint: DatasetFingerprint;
  dispose(): void;
}

/** What the run saved beside the weights (unetTrain.ts). */
interface SavedUnet {
  unet: Unet3dConfig;
  plan: UnetPlan;
  classes: string[];
  fingerprint: DatasetFingerprint;
  mirror: boolean;
  overlap: number;
  largestComponent: boolean;
}

export const unetModelFile = (runDir: string) => path.join(runDir, 'model', 'segmenter.json');

export function loadUnetModel(runDir: string): UnetModel {
  const file = unetModelFile(runDir);
  const { topology, ps, built: net } = restoreParams<SavedUnet, Unet3d>(file, UNET_FORMAT, 0, (t, store) => new Unet3d(t.unet, store), true);
  const { plan, fingerprint } = topology;
  return {
    net,
    plan,
    classes: topology.classes,
    fingerprint,
    spacing: plan.spacing,
    patch: plan.patch,
    mirror: topology.mirror,
    overlap: topology.overlap,
    largestComponent: topology.largestComponent,
    normalise: (v) => normaliseIntensities(v, plan.normalisation, fingerprint),
    logits: (x) => net.apply(x),
    dispose: () => ps.dispose(),
  };
}
