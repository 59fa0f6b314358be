/**
 * `npm run bench -- segment2d [--json] [--seeds 3] [--epochs 3] [--size 64] [--features 8] [--batch 4] [--lr 0.003]`
 *
 * 2D lesion segmentation of PH2 dermoscopy (../shared/data/real/ph2/: 200 images with expert
 * lesion masks) with `method: segment2d` through the real runner, on PH2's fixed stratified split
 * (bench/data/ph2.ts, 60/20/20 per class, seed 0: 120 train, 40 val, 40 test; the explain
 * benchmark's split). Test Dice and HD95 (pixels) are measured on each expert mask's own grid
 * (382x286 and similar), then mean ± sd over training seeds 1..N; and the boxes CARE would take
 * from each run (`boxes: {source: segmentation, model: <run>}`) on the test images, as IoU with
 * the box around the expert mask; and the same runs' test predictions with only the largest
 * lesion component kept (unet.largestComponent), as paired differences. Says so and stops when
 * the data are missing. Never fails on time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { runExperiment } from '../server/src/runs/runner';
import { maskBox } from '../server/src/boxes/fromMasks';
import { openSegment2dBoxer } from '../server/src/boxes/fromSegment2d';
import { readImage } from '../server/src/data/readers';
import { loadExperiment } from '../server/src/experiment/load';
import { loadSegment2dModel } from '../server/src/methods/segment2d/model';
import { scoreSamples } from '../server/src/methods/segment2d/score';
import { openSegment2dData } from '../server/src/methods/segment2d/train';
import { PH2_DIR, readPh2, writePh2Manifest, type Ph2Image } from './data/ph2';
import { mean, r4, sd } from './stats';

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

const ms = (xs: number[]) => ({ mean: r4(mean(xs)), sd: r4(sd(xs)), values: xs.map(r4) });

function iou(a: number[], b: number[]): number {
  const ix = Math.max(0, Math.min(a[0]! + a[2]!, b[0]! + b[2]!) - Math.max(a[0]!, b[0]!));
  const iy = Math.max(0, Math.min(a[1]! + a[3]!, b[1]! + b[3]!) - Math.max(a[1]!, b[1]!));
  return (ix * iy) / (a[2]! * a[3]! + b[2]! * b[3]! - ix * iy);
}

/**
 * The boxes CARE would get from this run (boxes/fromSegment2d.ts, what `boxes: {source:
 * segmentation, model: <run>}` uses) on the held-out test images, against the box around each
 * expert mask: mean IoU (an image with no predicted box scores 0) and how many got none.
 */
async function testBoxIou(runDir: string, images: Ph2Image[]): Promise<{ iou: number; missing: number }> {
  const boxer = openSegment2dBoxer(runDir);
  try {
    const scores: number[] = [];
    let missing = 0;
    for (const im of images) {
      const [img, mask] = await Promise.all([readImage(im.image), readImage(im.mask)]);
      const truth = maskBox(mask.data, mask.dims[0]!, mask.dims[1]!, mask.components);
      if (!truth) continue;
      const [b] = await boxer.boxes([{ image: { data: img.data, dims: img.dims, components: img.components, eightBit: img.pixelType === 'uint8' }, what: im.image }]);
      if (!b) missing++;
      scores.push(b ? iou(b.bbox, truth) : 0);
    }
    return { iou: mean(scores), missing };
  } finally {
    boxer.dispose();
  }
}

const bench: Bench = async ({ args, log }) => {
  if (!fs.existsSync(path.join(PH2_DIR, 'labels_and_boxes.csv'))) {
    log(`segment2d bench: ${PH2_DIR} is missing (the real PH2 data live in ../shared/data/real/); nothing measured`);
    return { skipped: `missing ${PH2_DIR}` };
  }
  const seeds = arg(args, 'seeds', 3);
  const epochs = arg(args, 'epochs', 3);
  const size = arg(args, 'size', 64);
  const features = arg(args, 'features', 8);
  const batch = arg(args, 'batch', 4);
  const lr = arg(args, 'lr', 0.003);
  const ph2 = readPh2();
  const status = await ensureBackend();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-bench-segment2d-'));
  fs.writeFileSync(path.join(tmp, 'package.json'), '{}');
  const manifest = writePh2Manifest(ph2, tmp, { seed: 0, val: 0.2, test: 0.2 });
  const testImages = ph2.images.filter((im) => manifest.split.get(im.id) === 'test');
  const counts = ['train', 'val', 'test'].map((s) => [...manifest.split.values()].filter((v) => v === s).length);
  const data = `PH2 (${ph2.images.length} dermoscopy images with expert lesion masks), fixed stratified split ${counts.join('/')} train/val/test`;
  log(`segment2d on ${data}; ${size}px input, U-Net features ${features}, ${epochs} epochs, batch ${batch}, Adam ${lr} cosine; backend ${status.backend} (${status.device})`);
  const file = path.join(tmp, 'ph2-segment2d.medstudio.yaml');
  fs.writeFileSync(
    file,
    `name: ph2 segment2d\nmethod: segment2d\n` +
      `data: { format: images, path: ${path.join(PH2_DIR, 'images')}, labels: ${path.join(PH2_DIR, 'masks')}, split: ${manifest.csv}, classes: [background, lesion] }\n` +
      `model: { inputSize: ${size} }\nunet: { features: ${features}, maxFeatures: ${features * 8} }\n` +
      `train: { epochs: ${epochs}, batchSize: ${batch}, lr: ${lr}, optimizer: adam, schedule: cosine, seed: 1, augment: true, checkpointEvery: 1000 }\n`,
  );
  const rows: { seed: number; dice: number; hd95: number; empty: number; boxIou: number; noBox: number; lcDice: number; lcHd95: number; seconds: number; runDir: string }[] = [];
  try {
    for (let seed = 1; seed <= seeds; seed++) {
      const t0 = performance.now();
      const out = await runExperiment(file, {
        outDir: path.join(tmp, 'runs'),
        adjust: (e) => ({ ...e, train: { ...e.train, seed } }),
        onEvent: (ev) => {
          if (ev.kind === 'log' && (/^(segment2d|epoch|test)/.test(ev.message))) log(`  [${Math.round((performance.now() - t0) / 1000)} s] ${ev.message}`);
        },
      });
      const t = out.result?.test?.extra;
      if (!t) throw new Error(`seed ${seed}: training did not finish (${out.info.state}${out.info.error ? `: ${out.info.error}` : ''})`);
      const seconds = Math.round((performance.now() - t0) / 1000);
      const boxes = await testBoxIou(out.info.runDir, testImages);
      // The same run's test predictions with only the largest component kept (unet.largestComponent), paired.
      const model = loadSegment2dModel(out.info.runDir);
      let lc: Record<string, number>;
      try {
        const ds = await openSegment2dData(await loadExperiment(file));
        lc = await scoreSamples(model, ds, ds.split('test'), undefined, true);
      } finally {
        model.dispose();
      }
      const row = { seed, dice: t.meanDice ?? NaN, hd95: t.meanHD95 ?? NaN, empty: t.imagesPredictedEmpty ?? 0, boxIou: boxes.iou, noBox: boxes.missing, lcDice: lc.meanDice ?? NaN, lcHd95: lc.meanHD95 ?? NaN, seconds, runDir: out.info.runDir };
      rows.push(row);
      log(`seed ${seed}: test Dice ${row.dice.toFixed(3)}, HD95 ${row.hd95.toFixed(1)} px${row.empty ? ` (${row.empty} test images predicted empty, left out of HD95)` : ''}; boxes from its masks vs the expert masks' boxes: IoU ${row.boxIou.toFixed(3)}, ${row.noBox} test images without a box; largest component only: Dice ${row.lcDice.toFixed(3)}, HD95 ${row.lcHd95.toFixed(1)} px; ${row.seconds} s`);
    }
  } finally {
    if (!args.includes('--keep')) fs.rmSync(tmp, { recursive: true, force: true });
  }
  const dice = ms(rows.map((r) => r.dice));
  const hd95 = ms(rows.map((r) => r.hd95));
  const boxIou = ms(rows.map((r) => r.boxIou));
  const lcDice = ms(rows.map((r) => r.lcDice));
  const lcHd95 = ms(rows.map((r) => r.lcHd95));
  const dDice = ms(rows.map((r) => r.lcDice - r.dice));
  const dHd95 = ms(rows.map((r) => r.lcHd95 - r.hd95));
  log(`largest component only: Dice ${lcDice.mean.toFixed(3)} ± ${lcDice.sd.toFixed(3)} (paired difference ${dDice.mean.toFixed(3)} ± ${dDice.sd.toFixed(3)}), HD95 ${lcHd95.mean.toFixed(1)} ± ${lcHd95.sd.toFixed(1)} px (${dHd95.mean.toFixed(1)} ± ${dHd95.sd.toFixed(1)})`);
  log(`test Dice ${dice.mean.toFixed(3)} ± ${dice.sd.toFixed(3)}, HD95 ${hd95.mean.toFixed(1)} ± ${hd95.sd.toFixed(1)} px, box IoU ${boxIou.mean.toFixed(3)} ± ${boxIou.sd.toFixed(3)} over ${rows.length} seeds [${status.backend}]`);
  return {
    bench: 'segment2d',
    backend: status.backend,
    device: status.device,
    data,
    settings: { inputSize: size, features, epochs, batchSize: batch, lr, optimizer: 'adam', schedule: 'cosine', augment: true },
    testDice: dice,
    testHD95px: hd95,
    testImagesPredictedEmpty: rows.map((r) => r.empty),
    testBoxIouVsMaskBoxes: boxIou,
    largestComponent: { testDice: lcDice, testHD95px: lcHd95, pairedDiceDifference: dDice, pairedHD95Difference: dHd95 },
    testImagesWithoutBox: rows.map((r) => r.noBox),
    secondsPerSeed: rows.map((r) => r.seconds),
  };
};

export default bench;
