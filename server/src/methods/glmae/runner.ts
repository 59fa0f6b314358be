/** `method: glmae` — GL-MAE self-supervised pretraining of a 3D ViT on unlabelled volumes. */
import type { MethodRunner } from '../../training/types';
import { trainGlmae } from './train';

export const glmaeRunner: MethodRunner = {
  method: 'glmae',
  train: trainGlmae,
};
