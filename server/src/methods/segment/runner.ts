/**
 * `method: segment` — 3D segmentation: a UNETR-style decoder on a ViT encoder (optionally
 * GL-MAE-pretrained), or with `model.backbone: unet` a convolutional U-Net configured from the data.
 */
import type { MethodRunner } from '../../training/types';
import { trainSegmentation } from './train';
import { trainUnet } from './unetTrain';

export const segmentRunner: MethodRunner = {
  method: 'segment',
  train: (ctx) => (ctx.experiment.model.backbone === 'unet' ? trainUnet(ctx) : trainSegmentation(ctx)),
};
