/** `method: segment` — 3D segmentation with a UNETR-style decoder on a ViT encoder (optionally GL-MAE-pretrained). */
import type { MethodRunner } from '../../training/types';
import { trainSegmentation } from './train';

export const segmentRunner: MethodRunner = {
  method: 'segment',
  train: trainSegmentation,
};
