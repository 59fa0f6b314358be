/**
 * The image being explained, decoded by the data readers (every format MedStudio reads), as
 * MedImage: voxels x fastest with components adjacent, dims, ITK geometry.
 */
import { readImage, type MedImage } from '../data/readers';

export type ExplainImage = MedImage;

export function readExplainImage(file: string): Promise<ExplainImage> {
  return readImage(file);
}
