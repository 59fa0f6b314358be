/**
 * `predict`: a finished run's model on new images, written next to nothing the user did not ask
 * for. A segmentation run (the 3D U-Net, a ViT trained with data.patch, or a 2D segment2d
 * U-Net) writes one label map per volume or image, NIfTI in the input's own geometry (`<name>_seg.nii.gz`), so it opens aligned over the volume in any viewer; a
 * classification run writes `predictions.csv` (file, predicted class, one probability column per
 * class). Inputs: one image or DICOM series folder, or a folder of images. Progress per window,
 * cancellation between windows, and the peak memory of the process in the summary.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../data/atomicWrite';
import { readImage, type MedImage } from '../data/readers';
import { formatFromName, imageStem } from '../data/readers/sniff';
import { encodeNiftiGz } from '../data/writers/nifti';
import { openRunModel } from '../explain/runModel';
import type { PredictOutput, PredictSummary } from '../protocol/predict';
import { classifyImage } from './classifyImage';
import { peakMemoryMB } from './memory';
import { segmentImage2d } from './segmentImage';
import { segmentVolume, type VolumeSegmenter } from './segmentVolume';
import { loadUnetModel, unetModelFile } from './unetModel';
import { loadVitSegmenter } from './vitModel';
import { SEGMENTER_FORMAT } from '../methods/segment/train';
import { loadSegment2dModel, UNET2D_FORMAT, type Segment2dModel } from '../methods/segment2d/model';
import { predictKind } from './predictor';

export interface PredictOptions {
  outDir: string;
  mirror?: boolean;
  signal?: AbortSignal;
  log?(line: string): void;
  /** Input `index` of `count`: `done` of `total` windows (segmentation) or 1 of 1. */
  onProgress?(p: { index: number; count: number; done: number; total: number; input: string }): void;
}

const isDicom = (f: string) => /\.dcm$/i.test(f) || formatFromName(f) === 'dicom';

/** The images an input names: a file; a DICOM series folder (one input); or a folder's image files, sorted. */
export function listInputs(input: string): string[] {
  const abs = path.resolve(input);
  if (!fs.existsSync(abs)) throw new Error(`${input}: not found`);
  if (!fs.statSync(abs).isDirectory()) return [abs];
  const files = fs
    .readdirSync(abs, { withFileTypes: true })
    .filter((d) => d.isFile() && !d.name.startsWith('.'))
    .map((d) => d.name)
    .sort();
  if (files.some(isDicom)) return [abs];
  const images = files.filter((f) => formatFromName(f) !== null).map((f) => path.join(abs, f));
  if (!images.length) throw new Error(`${input}: no images in this folder (NIfTI, NRRD, MetaImage, DICOM, PNG, JPEG)`);
  return images;
}

/** `<stem>_seg.nii.gz` for an input file or series folder. */
export function labelMapName(input: string): string {
  return `${imageStem(input)}_seg.nii.gz`;
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function segmenterFormat(runDir: string): unknown {
  return (JSON.parse(fs.readFileSync(unetModelFile(runDir), 'utf8')) as { format?: unknown }).format;
}

/** One label map per input, whatever the network: a 3D sliding-window segmenter or a segment2d run. */
interface Segmenter {
  classes: string[];
  segment(img: MedImage, progress: (done: number, total: number) => void): Promise<{ labels: Uint8Array; dims: number[]; counts: number[]; note: string }>;
  dispose(): void;
}

function threeD(m: VolumeSegmenter & { dispose(): void }, o: PredictOptions): Segmenter {
  return {
    classes: m.classes,
    segment: async (img, progress) => {
      const seg = await segmentVolume(m, img, { mirror: o.mirror, signal: o.signal, onProgress: progress });
      return { ...seg, note: ` -> network grid ${seg.networkGrid.join('x')}, ${seg.windows} windows` };
    },
    dispose: () => m.dispose(),
  };
}

function twoD(m: Segment2dModel): Segmenter {
  return {
    classes: m.meta.classes,
    segment: async (img, progress) => {
      const seg = await segmentImage2d(m, img);
      progress(1, 1);
      return { ...seg, note: ` -> network input ${m.meta.inputSize}x${m.meta.inputSize}` };
    },
    dispose: () => m.dispose(),
  };
}

export async function predictRun(runDir: string, input: string, o: PredictOptions): Promise<PredictSummary> {
  const t0 = performance.now();
  const kind = predictKind(runDir);
  const inputs = listInputs(input);
  fs.mkdirSync(o.outDir, { recursive: true });
  const outputs: PredictOutput[] = [];
  const log = o.log ?? (() => undefined);
  if (kind === 'segmentation') {
    const format = segmenterFormat(runDir);
    const m = format === UNET2D_FORMAT ? twoD(loadSegment2dModel(runDir)) : threeD(format === SEGMENTER_FORMAT ? loadVitSegmenter(runDir) : loadUnetModel(runDir), o);
    try {
      for (const [index, file] of inputs.entries()) {
        const t1 = performance.now();
        const img = await readImage(file);
        const seg = await m.segment(img, (done, total) => o.onProgress?.({ index, count: inputs.length, done, total, input: file }));
        const out = path.join(o.outDir, labelMapName(file));
        await writeFileAtomic(out, encodeNiftiGz({ data: seg.labels, dims: seg.dims, spacing: img.spacing, origin: img.origin, direction: img.direction, description: `MedStudio ${path.basename(runDir)}` }, 6));
        const counts = Object.fromEntries(m.classes.map((c, k) => [c, seg.counts[k]!]));
        const seconds = (performance.now() - t1) / 1000;
        log(`${path.basename(file)}: ${seg.dims.join('x')}${seg.note}, ${seconds.toFixed(1)} s -> ${out}`);
        outputs.push({ input: file, output: out, counts, seconds });
      }
      return { kind, runDir, classes: m.classes, outputs, seconds: (performance.now() - t0) / 1000, peakMemoryMB: peakMemoryMB() };
    } finally {
      m.dispose();
    }
  }
  const m = await openRunModel(runDir);
  try {
    for (const [index, file] of inputs.entries()) {
      if (o.signal?.aborted) throw new Error('prediction cancelled');
      const t1 = performance.now();
      const p = await classifyImage(m, await readImage(file));
      const best = p.indexOf(Math.max(...p));
      outputs.push({ input: file, predicted: m.classes[best]!, probabilities: Object.fromEntries(m.classes.map((c, k) => [c, p[k]!])), seconds: (performance.now() - t1) / 1000 });
      o.onProgress?.({ index, count: inputs.length, done: 1, total: 1, input: file });
    }
    const table = path.join(o.outDir, 'predictions.csv');
    const header = ['file', 'predicted', ...m.classes.map((c) => `p_${c}`)].map(csvField).join(',');
    const rows = outputs.map((r) => [r.input, r.predicted!, ...m.classes.map((c) => r.probabilities![c]!.toFixed(6))].map(csvField).join(','));
    await writeFileAtomic(table, [header, ...rows].join('\n') + '\n');
    log(`${outputs.length} image(s) classified -> ${table}`);
    return { kind, runDir, classes: m.classes, outputs, table, seconds: (performance.now() - t0) / 1000, peakMemoryMB: peakMemoryMB() };
  } finally {
    m.model.dispose();
  }
}
