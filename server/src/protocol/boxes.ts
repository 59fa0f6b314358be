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

/** client -> server: generate boxes for every image of an experiment's data (a COCO file to review). */
export const GenerateBoxesRequest = request<
  { experimentPath: string; source: Exclude<BoxSource, 'manual'>; out?: string },
  {
    /** The file written: `out` (new, or merged into), or a new name beside an unreadable `out`. */
    file: string;
    /** Boxes in that file. */
    boxes: number;
    source: Exclude<BoxSource, 'manual'>;
    /** An existing box file is never replaced: merged keeps every reviewed box and decision. */
    mode: 'new' | 'merged' | 'beside';
    /** What happened, in a sentence for the person. */
    message: string;
  }
>('medstudio/boxes/generate');
