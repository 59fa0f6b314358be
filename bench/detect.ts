/**
 * `npm run bench -- detect [--json] [--seeds N] [--epochs N] [--size PX] [--width N] [--no-init]`
 *
 * The lesion detector (`method: detect`) on PH2 (../shared/data/real/ph2): ground-truth boxes
 * around the expert lesion masks (server/src/boxes/fromMasks.ts), the fixed stratified 60/20/20
 * split of bench/data/ph2.ts (the explain benchmark's), seeds 1..N. Test AP@0.5, AP@[.5:.95],
 * recall and recall at fixed false positives per image, mean ± sd over seeds. Beside it, a
 * detector that learned nothing but the training boxes' average: one box of the mean training
 * size and position on every test image (PH2's lesions are large and central, so this prior
 * scores well), and the paired difference per seed. A third arm starts the detector from a
 * cross-entropy classifier trained on the same training images' labels (`init:`, the trunk's
 * weights by name; same seed), paired with the detector trained from scratch (`--no-init` skips it).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { runExperiment } from '../server/src/runs/runner';
import { readImage } from '../server/src/data/readers';
import { maskBox } from '../server/src/boxes/fromMasks';
import { detectionMetrics, type Box, type DetectionMetrics } from '../server/src/metrics/detection';
import { readPh2, writePh2Manifest } from './data/ph2';
import { mean, ms, pm, positiveIntArg, r4 } from './stats';


const FIGURES = ['ap50', 'ap75', 'ap', 'recall', 'recall@0.5fppi', 'recall@1fppi'] as const;
type Figure = (typeof FIGURES)[number];

function figures(m: Record<string, number>): Record<Figure, number> {
  return Object.fromEntries(FIGURES.map((k) => [k, m[k]!])) as Record<Figure, number>;
}

function flat(m: DetectionMetrics): Record<string, number> {
  return { ap50: m.ap50, ap75: m.ap75, ap: m.ap, recall: m.recall, ...m.recallAtFppi };
}

const bench: Bench = async (io) => {
  const seeds = positiveIntArg(io.args, 'seeds', 3);
  const epochs = positiveIntArg(io.args, 'epochs', 30);
  const size = positiveIntArg(io.args, 'size', 64);
  const withInit = !io.args.includes('--no-init');
  const width = positiveIntArg(io.args, 'width', 8);
  const ph2 = readPh2();
  const status = await ensureBackend({ threads: 1 });
  const backend = status.backend;
  const data = 'PH2 (200 dermoscopy images, boxes around the expert lesion masks), fixed stratified 60/20/20 split';
  io.log(`lesion detection on ${data}; backend ${backend} (${status.device}); ${seeds} seeds, ${epochs} epochs, ${size} px, ResNet width ${width}`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-bench-detect-'));
  fs.writeFileSync(path.join(tmp, 'package.json'), '{}');
  const manifest = writePh2Manifest(ph2, tmp, { seed: 0, val: 0.2, test: 0.2 });

  // Ground truth: one box per image around its expert mask (PH2 has one lesion per image).
  const images: { id: number; file_name: string; width: number; height: number }[] = [];
  const annotations: unknown[] = [];
  const truth = new Map<string, { box: Box; width: number; height: number; split: string }>();
  for (const [i, im] of ph2.images.entries()) {
    const mask = await readImage(im.mask);
    const [w, h] = [mask.dims[0]!, mask.dims[1]!];
    const box = maskBox(mask.data, w, h, mask.components);
    if (!box) throw new Error(`${im.mask}: empty lesion mask`);
    images.push({ id: i + 1, file_name: path.relative(tmp, im.image), width: w, height: h });
    annotations.push({ id: i + 1, image_id: i + 1, category_id: 1, bbox: box, area: box[2] * box[3], iscrowd: 0, source: 'manual' });
    truth.set(im.id, { box, width: w, height: h, split: manifest.split.get(im.id)! });
  }
  const coco = path.join(tmp, 'ph2.coco.json');
  fs.writeFileSync(coco, JSON.stringify({ images, annotations, categories: [{ id: 1, name: 'lesion' }] }));

  // The prior: the mean training box in relative coordinates, placed on every test image with score 1.
  const train = [...truth.values()].filter((t) => t.split === 'train');
  const rel = [0, 1, 2, 3].map((k) => mean(train.map((t) => t.box[k]! / (k % 2 ? t.height : t.width))));
  const test = [...truth.values()].filter((t) => t.split === 'test');
  const prior = flat(detectionMetrics(test.map((t) => ({ truth: [t.box], detections: [{ bbox: [rel[0]! * t.width, rel[1]! * t.height, rel[2]! * t.width, rel[3]! * t.height] as Box, score: 1 }] }))));

  const expFile = path.join(tmp, 'ph2-detect.medstudio.yaml');
  fs.writeFileSync(
    expFile,
    `name: ph2 lesion detector\nmethod: detect\ndata: { format: coco, path: ${coco}, split: ${manifest.csv} }\n` +
      `model: { backbone: resnet, width: ${width}, depth: 1, inputSize: ${size} }\ntrain: { epochs: ${epochs}, batchSize: 16, lr: 0.003, seed: 1 }\n`,
  );
  const clsFile = path.join(tmp, 'ph2-ce.medstudio.yaml');
  fs.writeFileSync(
    clsFile,
    `name: ph2 cross-entropy (detector init)\nmethod: supervised\ndata: { format: csv, path: ${manifest.csv}, classes: [${ph2.classes.join(', ')}] }\n` +
      `model: { backbone: resnet, width: ${width}, depth: 1, inputSize: ${size} }\ntrain: { epochs: ${epochs}, batchSize: 16, lr: 0.003, seed: 1, balance: sampler }\n`,
  );
  const detectOnce = async (seed: number, init: string | undefined, label: string) => {
    const t0 = performance.now();
    const out = await runExperiment(expFile, { outDir: path.join(tmp, 'runs'), adjust: (e) => ({ ...e, ...(init ? { init } : {}), train: { ...e.train, seed } }) });
    const m = out.result?.test?.extra;
    if (!m) throw new Error(`seed ${seed}: the run has no test metrics`);
    const seconds = Math.round((performance.now() - t0) / 1000);
    io.log(`seed ${seed} ${label}: AP@0.5 ${m.ap50!.toFixed(3)}, AP@[.5:.95] ${m.ap!.toFixed(3)}, recall ${m.recall!.toFixed(3)}, recall@1fppi ${m['recall@1fppi']!.toFixed(3)} (${seconds} s)`);
    return { seed, seconds, figures: figures(m) };
  };
  const runs: { seed: number; seconds: number; figures: Record<Figure, number> }[] = [];
  const initRuns: typeof runs = [];
  for (let seed = 1; seed <= seeds; seed++) {
    runs.push(await detectOnce(seed, undefined, 'scratch'));
    if (!withInit) continue;
    const ce = await runExperiment(clsFile, { outDir: path.join(tmp, 'runs'), adjust: (e) => ({ ...e, train: { ...e.train, seed } }) });
    io.log(`seed ${seed}: CE classifier for init, test balanced accuracy ${ce.result?.test?.balancedAccuracy?.toFixed(3)}`);
    initRuns.push(await detectOnce(seed, ce.info.runDir, 'init from CE'));
  }
  const col = (k: Figure) => runs.map((r) => r.figures[k]);
  io.log('');
  io.log(`| test split (${test.length} images, ${seeds} seeds) | ${FIGURES.join(' | ')} |`);
  io.log(`| --- | ${FIGURES.map(() => '---').join(' | ')} |`);
  io.log(`| CenterNet detector (ResNet width ${width}, ${size} px, ${epochs} epochs) | ${FIGURES.map((k) => pm(col(k))).join(' | ')} |`);
  io.log(`| mean training box on every image (no learning) | ${FIGURES.map((k) => prior[k]!.toFixed(3)).join(' | ')} |`);
  io.log(`| paired difference, detector − prior | ${FIGURES.map((k) => pm(col(k).map((v) => v - prior[k]!))).join(' | ')} |`);
  const icol = (k: Figure) => initRuns.map((r) => r.figures[k]);
  if (withInit) {
    io.log(`| detector initialised from a CE classifier (same seed) | ${FIGURES.map((k) => pm(icol(k))).join(' | ')} |`);
    io.log(`| paired difference, init − scratch | ${FIGURES.map((k) => pm(icol(k).map((v, i) => v - col(k)[i]!))).join(' | ')} |`);
  }
  return {
    bench: 'detect',
    backend,
    device: status.device,
    data,
    seeds,
    epochs,
    inputSize: size,
    width,
    testImages: test.length,
    detector: Object.fromEntries(FIGURES.map((k) => [k, ms(col(k))])),
    prior: Object.fromEntries(FIGURES.map((k) => [k, r4(prior[k]!)])),
    detectorMinusPrior: Object.fromEntries(FIGURES.map((k) => [k, ms(col(k).map((v) => v - prior[k]!))])),
    ...(withInit
      ? {
          detectorInitFromCE: Object.fromEntries(FIGURES.map((k) => [k, ms(icol(k))])),
          initMinusScratch: Object.fromEntries(FIGURES.map((k) => [k, ms(icol(k).map((v, i) => v - col(k)[i]!))])),
        }
      : {}),
    seconds: runs.map((r) => r.seconds),
  };
};

export default bench;
