/**
 * A segment2d run's label map of one 2D image at the image's own size: the same preprocessing,
 * prediction and resizing as its `explain` mask (methods/segment2d/model.ts), as a uint8 map in
 * the image's pixel order, so it overlays the image in the viewer pixel for pixel.
 */
import type { MedImage } from '../data/readers';
import { labelsAtSize, modelInputOf, predictProbabilities, type Segment2dModel } from '../methods/segment2d/model';

export async function segmentImage2d(m: Segment2dModel, img: MedImage): Promise<{ labels: Uint8Array; dims: [number, number, number]; counts: number[] }> {
  if (img.spatialDims === 3 && (img.dims[2] ?? 1) > 1) throw new Error(`${img.path} is a 3D volume (${img.dims.slice(0, 3).join('x')}); this segment2d run segments 2D images`);
  const [width, height] = [img.dims[0]!, img.dims[1]!];
  const K = m.meta.classes.length;
  const [probs] = await predictProbabilities(m, [modelInputOf(m, { data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, img.path)]);
  const labels = Uint8Array.from(labelsAtSize(probs!, m.meta.inputSize, K, width, height, m.meta.largestComponent));
  const counts = new Array<number>(K).fill(0);
  for (const v of labels) counts[v]!++;
  return { labels, dims: [width, height, 1], counts };
}
