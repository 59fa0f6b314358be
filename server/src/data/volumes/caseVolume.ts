/**
 * One case (an image and, when labelled, its label map) at its native resolution, as [D, H, W]
 * arrays with the voxel spacing in the same axis order. Real-size segmentation (the U-Net's
 * patches, sliding-window inference) works on these rather than on volumes resized to a cube.
 */
import { readImage } from '../readers';
import { DatasetError } from '../datasets/sources';

export type Triple = [number, number, number];

export interface CaseVolume {
  id: string;
  /** [D, H, W], x (W) fastest. */
  shape: Triple;
  /** mm per voxel along D, H, W. */
  spacing: Triple;
  /** Raw intensities (first component), D*H*W. */
  image: Float32Array;
  /** Label values, D*H*W, when labelled. */
  label?: Int32Array;
}

export async function readCase(id: string, imagePath: string, labelPath?: string): Promise<CaseVolume> {
  const img = await readImage(imagePath);
  if (img.spatialDims !== 3) throw new DatasetError(imagePath, 'is not a 3D volume');
  const [w, h, d] = img.dims as [number, number, number];
  const n = w * h * d;
  const image = new Float32Array(n);
  const comps = img.components;
  for (let i = 0; i < n; i++) image[i] = Number(img.data[i * comps]);
  for (let i = 0; i < n; i++) if (!Number.isFinite(image[i]!)) throw new DatasetError(imagePath, `holds a non-finite voxel (${image[i]}) at index ${i}`);
  const out: CaseVolume = { id, shape: [d, h, w], spacing: [img.spacing[2], img.spacing[1], img.spacing[0]], image };
  if (labelPath) {
    const lab = await readImage(labelPath);
    if (lab.dims[0] !== w || lab.dims[1] !== h || lab.dims[2] !== d) {
      throw new DatasetError(labelPath, `is ${lab.dims.slice(0, 3).join('x')}, its volume ${imagePath} is ${w}x${h}x${d}`);
    }
    const label = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const v = Number(lab.data[i * lab.components]);
      if (!Number.isInteger(v) || v < 0) throw new DatasetError(labelPath, `holds label value ${v} at index ${i}: label maps hold whole numbers 0, 1, 2, ...`);
      label[i] = v;
    }
    out.label = label;
  }
  return out;
}
