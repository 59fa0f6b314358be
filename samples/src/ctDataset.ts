/**
 * Writes samples/ct-nodules: volumes/<id>.nii.gz (int16 HU), labels/<id>.nii.gz (uint8:
 * 0 background, 1 lung, 2 nodule), boxes/<id>.mrk.json (nodule ROIs, LPS; only for volumes
 * with nodules) and manifest.csv (path,label,split with label nodule|normal).
 */
import * as path from 'node:path';
import { writeFileAtomicSync } from '../../server/src/data/atomicWrite';
import { encodeNiftiGz } from '../../server/src/data/writers/nifti';
import type { Mat3 } from '../../server/src/formats/geometry';
import { serializeSlicerRoi, voxelBoxToRoi } from '../../server/src/formats/slicerRoi';
import { createRng, deriveSeed } from '../../server/src/transforms/rng';
import { CT_SIZE, makeGeometry, renderCtCase } from './ct';
import { splitClass } from './splits';

export const CT_CASES = 20;
export const CT_NODULE_CASES = 12;

const c15 = Math.cos((15 * Math.PI) / 180);
const s15 = Math.sin((15 * Math.PI) / 180);
/** Directions by case number; every other case is stored axial with the identity. */
const DIRECTIONS: Record<number, { name: string; m: Mat3 }> = {
  3: { name: 'RAS-stored axial (i -> right, j -> anterior)', m: [-1, 0, 0, 0, -1, 0, 0, 0, 1] },
  7: { name: 'axial, tilted 15 degrees about z', m: [c15, -s15, 0, s15, c15, 0, 0, 0, 1] },
  11: { name: 'coronal slices (j -> inferior, k -> posterior)', m: [1, 0, 0, 0, 0, 1, 0, -1, 0] },
};

export interface CtSummary {
  cases: number;
  bytes: number;
  directions: string[];
}

export function generateCtNodules(outDir: string, seed: number): CtSummary {
  const rng = createRng(deriveSeed(seed, 0xc7));
  const labels = [...Array<string>(CT_NODULE_CASES).fill('nodule'), ...Array<string>(CT_CASES - CT_NODULE_CASES).fill('normal')];
  rng.shuffle(labels);
  const splitsByLabel = new Map(['nodule', 'normal'].map((l) => [l, splitClass(rng, labels.filter((x) => x === l).length, 0.15, 0.15)]));
  const manifest = ['path,label,split'];
  let bytes = 0;
  const directions: string[] = [];
  labels.forEach((label, i) => {
    const id = ctCaseId(i);
    const dir = DIRECTIONS[i + 1];
    if (dir) directions.push(`${id}: ${dir.name}`);
    const files = renderCtFiles(seed, i, label);
    writeFileAtomicSync(path.join(outDir, 'volumes', `${id}.nii.gz`), files.volume);
    writeFileAtomicSync(path.join(outDir, 'labels', `${id}.nii.gz`), files.labels);
    bytes += files.volume.length + files.labels.length;
    if (files.rois) {
      writeFileAtomicSync(path.join(outDir, 'boxes', `${id}.mrk.json`), files.rois);
      bytes += files.rois.length;
    }
    manifest.push(`volumes/${id}.nii.gz,${label},${splitsByLabel.get(label)!.shift()!}`);
  });
  writeFileAtomicSync(path.join(outDir, 'manifest.csv'), manifest.join('\n') + '\n');
  return { cases: labels.length, bytes, directions };
}

export function ctCaseId(i: number): string {
  return `ct-${String(i + 1).padStart(3, '0')}`;
}

/** The files of case i (0-based) with its manifest label: what the generator writes, byte for byte. */
export function renderCtFiles(seed: number, i: number, label: string): { volume: Uint8Array; labels: Uint8Array; rois?: string } {
  const id = ctCaseId(i);
  const caseRng = createRng(deriveSeed(seed, 1000 + i));
  const geometry = makeGeometry(caseRng, DIRECTIONS[i + 1]?.m ?? [1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const nodules = label === 'nodule' ? 1 + caseRng.int(3) : 0;
  const ct = renderCtCase(caseRng, geometry, nodules);
  const dims = [CT_SIZE, CT_SIZE, CT_SIZE];
  const out: { volume: Uint8Array; labels: Uint8Array; rois?: string } = {
    volume: encodeNiftiGz({ data: ct.hu, dims, ...geometry, description: `MedStudio synthetic chest CT ${id}` }),
    labels: encodeNiftiGz({ data: ct.labels, dims, ...geometry, description: `MedStudio labels ${id}: 0 bg, 1 lung, 2 nodule` }),
  };
  if (ct.nodules.length) {
    out.rois = serializeSlicerRoi(ct.nodules.map((n, k) => voxelBoxToRoi(n.voxelBox, geometry, { label: `nodule-${k + 1}`, source: 'manual', category: 'nodule' })));
  }
  return out;
}
