/**
 * CARE's boxes from a trained segmentation model (`data.boxes: {source: segmentation, model:
 * <segment2d run>}`, the CARE paper's variant with a pretrained segmentation network): the run's
 * U-Net predicts each image's mask, foreground probability > 0.5 -> largest component -> box in
 * the image's pixels, scored by the mean foreground probability inside. No Otsu fall-back as for
 * the pseudo-mask net: an image where the model sees no lesion gets no box, so a run whose rare
 * classes get none is refused by CARE rather than fed boxes made of noise.
 */
import type { RawImage } from '../data/datasets/preprocess';
import { foregroundMap, loadSegment2dModel, modelInputOf, predictProbabilities, type Segment2dModel } from '../methods/segment2d/model';
import { boxFromMap, type MapBox } from './regions';

export interface Segment2dBoxer {
  /** Run the model was loaded from and its classes. */
  runDir: string;
  classes: string[];
  /** The lesion box of each image, in its own pixels (undefined: no foreground predicted). */
  boxes(images: { image: RawImage; what: string }[]): Promise<(MapBox | undefined)[]>;
  dispose(): void;
}

export function openSegment2dBoxer(runDir: string): Segment2dBoxer {
  let m: Segment2dModel;
  try {
    m = loadSegment2dModel(runDir);
  } catch (e) {
    throw new Error(`data.boxes.model must be a segment2d run (boxes.source 'segmentation' uses its masks): ${e instanceof Error ? e.message : String(e)}`);
  }
  const S = m.meta.inputSize;
  const K = m.meta.classes.length;
  return {
    runDir,
    classes: m.meta.classes,
    async boxes(images) {
      const probs = await predictProbabilities(m, images.map((it) => modelInputOf(m, it.image, it.what)));
      return images.map((it, i) => {
        const b = boxFromMap({ data: foregroundMap(probs[i]!, K), width: S, height: S }, 0.5);
        if (!b) return undefined;
        const sx = it.image.dims[0]! / S;
        const sy = it.image.dims[1]! / S;
        return { ...b, bbox: [b.bbox[0] * sx, b.bbox[1] * sy, b.bbox[2] * sx, b.bbox[3] * sy] };
      });
    },
    dispose: () => m.dispose(),
  };
}
