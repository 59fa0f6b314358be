import { request } from './defs';

export type BoxSource = 'manual' | 'saliency' | 'segmentation';

export interface SuggestedBox {
  /** COCO order: x, y, width, height in pixels of the image. */
  bbox: [number, number, number, number];
  score: number;
  source: BoxSource;
}

/** client -> server: boxes a model or saliency method proposes for one image, for review. */
export const SuggestBoxesRequest = request<{ imagePath: string; source: Exclude<BoxSource, 'manual'>; runDir?: string; maxBoxes?: number }, { boxes: SuggestedBox[] }>(
  'medstudio/boxes/suggest',
);
