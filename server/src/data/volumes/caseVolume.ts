/**
 * One case (an image and, when labelled, its label map) at its native resolution, as [D, H, W]
 * arrays with the voxel spacing in the same axis order, put in the canonical voxel frame
 * (orientation.ts) so that training sees every scan the way prediction will. Real-size
 * segmentation (the U-Net's patches, sliding-window inference) works on these rather than on
 * volumes resized to a cube.
 */
import { readImage } from '../readers';
import { DatasetError } from '../datasets/sources';
import { canonicalAxes, canonicalDims, canonicalGeometry, isIdentity, reorient, type Dims3 } from './orientation';

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
  const dims = img.dims.slice(0, 3) as Dims3;
  const [w, h, d] = dims;
  const n = w * h * d;
  const raw = new Float32Array(n);
  const comps = img.components;
  for (let i = 0; i < n; i++) raw[i] = Number(img.data[i * comps]);
  for (let i = 0; i < n; i++) if (!Number.isFinite(raw[i]!)) throw new DatasetError(imagePath, `holds a non-finite voxel (${raw[i]}) at index ${i}`);
  const axes = canonicalAxes(img.direction);
  const image = isIdentity(axes) ? raw : reorient(raw, dims, axes);
  const [cw, ch, cd] = canonicalDims(dims, axes);
  const sp = canonicalGeometry(img, dims, axes).spacing;
  const out: CaseVolume = { id, shape: [cd, ch, cw], spacing: [sp[2], sp[1], sp[0]], image };
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
    out.label = isIdentity(axes) ? label : reorient(label, dims, axes);
  }
  return out;
}
