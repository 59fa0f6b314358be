/**
 * The U-Net's data: every case read once at its own resolution, the fingerprint of the training
 * cases, the plan made from it, and the cases resampled to the plan's spacing (when they differ
 * from it) and normalised as planned. Splits come from data.split (a fixed CSV) or the seeded
 * split of the segmentation dataset.
 */
import * as path from 'node:path';
import { loadSegmentationDataset, type SegmentationSample } from '../../data/datasets';
import { readCase, type CaseVolume, type Triple } from '../../data/volumes/caseVolume';
import { computeFingerprint, type DatasetFingerprint } from '../../data/volumes/fingerprint';
import { normaliseIntensities } from '../../data/volumes/normalise';
import type { Experiment } from '../../experiment/types';
import { resizeLinear, resizeNearest } from '../../transforms/resample';
import { planUnet, type PlanCompute, type UnetPlan } from './unetPlan';

export interface PreparedCase extends CaseVolume {
  split: SegmentationSample['split'];
}

export interface UnetData {
  classes: string[];
  fingerprint: DatasetFingerprint;
  plan: UnetPlan;
  cases: PreparedCase[];
  /** Cases that were resampled to the plan's spacing (metrics are then on that grid). */
  resampled: number;
}

const sameSpacing = (a: Triple, b: Triple) => a.every((v, i) => Math.abs(v - b[i]!) < 1e-3 * Math.max(1, v));

function resample(c: PreparedCase, spacing: Triple): PreparedCase {
  const shape = c.shape.map((n, a) => Math.max(1, Math.round((n * c.spacing[a]!) / spacing[a]!))) as Triple;
  const image = resizeLinear({ data: c.image, shape: c.shape, channels: 1 }, shape).data;
  const out: PreparedCase = { ...c, shape, spacing, image };
  if (c.label) out.label = Int32Array.from(resizeNearest({ data: Float32Array.from(c.label), shape: c.shape, channels: 1 }, shape).data);
  return out;
}

export async function prepareUnetData(e: Experiment, compute: PlanCompute, log: (m: string) => void): Promise<UnetData> {
  if (e.data.format !== 'volumes') throw new Error(`${e.file}: method segment needs data.format: volumes (got ${e.data.format})`);
  if (!e.data.labels) throw new Error(`${e.file}: method segment needs data.labels (the folder of label maps)`);
  const ds = await loadSegmentationDataset({
    path: e.data.path,
    labels: e.data.labels,
    size: 1, // only the listing, classes and split are used: cases are read at their own size below
    seed: e.train.seed,
    valFraction: e.data.valFraction,
    testFraction: e.data.testFraction,
    classes: e.data.classes,
    labelled: e.data.labelled,
    manifest: e.data.split ?? false,
  });
  const read: PreparedCase[] = [];
  for (const s of ds.samples) read.push({ ...(await readCase(s.id, s.path, s.labelPath)), split: s.split });
  const train = read.filter((c) => c.split === 'train');
  if (!train.length) throw new Error(`${e.file}: no training volumes (data.labelled ${e.data.labelled}, ${read.length} volumes in all)`);
  const K = ds.classes.length;
  for (const c of read) {
    const max = c.label!.reduce((m, v) => Math.max(m, v), 0);
    if (max >= K) throw new Error(`${path.join(e.data.labels, c.id)}: label value ${max}, but data.classes has ${K} classes (${ds.classes.join(', ')})`);
  }
  const fingerprint = computeFingerprint(train, K);
  const plan = planUnet(fingerprint, e.unet, compute);
  let resampled = 0;
  const cases = read.map((c) => {
    const r = sameSpacing(c.spacing, plan.spacing) ? c : (resampled++, resample(c, plan.spacing));
    return { ...r, image: normaliseIntensities(r.image, plan.normalisation, fingerprint) };
  });
  if (resampled) log(`${resampled} case(s) resampled to ${plan.spacing.join('x')} mm; their metrics are on that grid`);
  return { classes: ds.classes, fingerprint, plan, cases, resampled };
}
