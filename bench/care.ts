/**
 * `npm run bench -- care [--json] [--seeds 5] [--epochs N] [--size S] [--data ph2,breastmnist]`:
 * CARE against cross-entropy on real data (../shared/data/real, see its README): PH2 dermoscopy
 * (melanoma the rare class; expert lesion masks, so manual boxes exist) and BreastMNIST
 * (malignant the rare class; no masks). Conditions: CE, CE + class-balanced sampling, CARE with
 * boxes from the masks (PH2 only), from saliency and from a segmentation net; every condition on
 * the same fixed stratified split (PH2 has no official one; BreastMNIST's own), over seeds 1..n.
 * Reports minority-class recall, balanced accuracy and macro AUC (mean ± sd over seeds) and the
 * paired difference to CE per seed; on PH2 also the share of the Grad-CAM heat (true class) that
 * falls inside the expert lesion mask on the test images, CE vs CARE. CARE runs with the same
 * class-balanced sampler as 'CE + balanced', so that pair isolates the attention loss.
 * Saliency and segmentation boxes are generated once per dataset (generateOnce) and given to
 * every seed's run. Defaults per dataset (--epochs / --size override): PH2 32 px, 8 epochs;
 * BreastMNIST 28 px, 4 epochs (4.5x the training images). PH2 is cached as a 64 px .npz.
 * Runs and the generated data go to .medstudio/bench-runs and .medstudio/bench-data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { generateBoxesInto } from '../server/src/boxes/generate';
import { resizeGray } from '../server/src/boxes/imageOps';
import { encodeNpz, loadClassificationDataset, parseNpz } from '../server/src/data/datasets';
import { readImage } from '../server/src/data/readers';
import { ensureBackend } from '../server/src/engine/backend';
import { wrapClassifier } from '../server/src/networks/resnet';
import { loadExperiment } from '../server/src/experiment/load';
import { openClassificationData } from '../server/src/methods/care/dataset';
import { gradCamMaps } from '../server/src/methods/care/gradcam';
import type { EvalMetrics } from '../server/src/protocol';
import { loadModel, readModelMetadata } from '../server/src/runs/modelIo';
import { runExperiment } from '../server/src/runs/runner';
import type { Bench } from './run';
import { readPh2, writePh2Manifest } from './data/ph2';

const ROOT = path.join(__dirname, '..');
const REAL = process.env.MEDSTUDIO_REAL_DATA ?? path.resolve(ROOT, '..', 'shared', 'data', 'real');
const WORK = path.join(ROOT, '.medstudio', 'bench-data');
/** The split's seed: fixed, so every condition and seed sees the same train/val/test images. */
const SPLIT_SEED = 20130703;
/** PH2 has no official split: a fixed stratified one, 60/15/25 per class. */
const PH2_SPLIT = { seed: SPLIT_SEED, val: 0.15, test: 0.25 };

type Condition = 'ce' | 'ceBalanced' | 'careMasks' | 'careSaliency' | 'careSegmentation';
const LABEL: Record<Condition, string> = { ce: 'CE', ceBalanced: 'CE + balanced', careMasks: 'CARE, mask boxes', careSaliency: 'CARE, saliency boxes', careSegmentation: 'CARE, segmentation boxes' };

interface DataSet {
  name: string;
  /** data: block of the experiment (YAML flow mapping), without boxes. */
  data: string;
  rare: string;
  conditions: Condition[];
  /** Default input size and epochs (sized so each dataset's runs take about a quarter hour on 2 shared cores). */
  size: number;
  epochs: number;
  /** COCO boxes from the expert masks (PH2). */
  maskBoxes?: string;
  /** The test images' lesion masks [n, 64, 64] in test-array order, for the Grad-CAM share (PH2). */
  testMasks?: Uint8Array;
  describe: string;
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
const num = (args: string[], name: string, d: number) => {
  const v = Number(arg(args, name));
  return Number.isFinite(v) && v > 0 ? v : d;
};

/** PH2 is stored at this size in the benchmark's npz (the model input is resized from it). */
const PH2_STORE = 64;

/**
 * PH2 as an .npz at 64 px (decoding 200 PNGs of 380x285 per run would dominate the benchmark):
 * a fixed stratified split (60/15/25), the images and their lesion masks resized once, and COCO
 * boxes around the masks keyed '<file>.npz#<split>/<index>' (the expert's, so 'manual'). Cached
 * in .medstudio/bench-data/ph2.
 */
async function preparePh2(): Promise<DataSet> {
  const dir = path.join(REAL, 'ph2');
  const ph2 = readPh2(dir);
  const classes = ph2.classes;
  const labels = ph2.images.map((im) => im.label);
  const out = path.join(WORK, 'ph2');
  fs.mkdirSync(out, { recursive: true });
  const { csv: manifest, assignment: split } = writePh2Manifest(ph2, out, PH2_SPLIT);
  const npz = path.join(out, `ph2-${PH2_STORE}.npz`);
  const coco = path.join(out, 'boxes.masks.coco.json');
  if (!fs.existsSync(npz) || !fs.existsSync(coco)) {
    const ds = await loadClassificationDataset({ format: 'csv', path: manifest, classes, inputSize: PH2_STORE, seed: 1, boxes: false, cacheBytes: 0 });
    const S = PH2_STORE;
    const arrays: Record<string, { data: Uint8Array; shape: number[] }> = {};
    const images: { id: number; file_name: string; width: number; height: number }[] = [];
    const annotations: unknown[] = [];
    for (const sp of ['train', 'val', 'test'] as const) {
      const samples = ds.split(sp);
      const img = new Uint8Array(samples.length * S * S * 3);
      const msk = new Uint8Array(samples.length * S * S);
      for (const [i, s] of samples.entries()) {
        const x = await ds.load(s);
        for (let k = 0; k < S * S * 3; k++) img[i * S * S * 3 + k] = Math.round(Math.min(1, Math.max(0, x[k]!)) * 255);
        const m = await readImage(path.join(dir, 'masks', path.basename(s.path!).replace('.png', '_lesion.png')));
        const grey = new Float32Array(m.dims[0]! * m.dims[1]!);
        for (let k = 0; k < grey.length; k++) grey[k] = m.data[k * m.components]! > 0 ? 1 : 0;
        const small = resizeGray({ data: grey, width: m.dims[0]!, height: m.dims[1]! }, S, S).data;
        let [x0, y0, x1, y1] = [S, S, -1, -1];
        for (let k = 0; k < S * S; k++) {
          if (small[k]! < 0.5) continue;
          msk[i * S * S + k] = 1;
          const [px, py] = [k % S, Math.floor(k / S)];
          [x0, y0, x1, y1] = [Math.min(x0, px), Math.min(y0, py), Math.max(x1, px), Math.max(y1, py)];
        }
        const id = images.length + 1;
        images.push({ id, file_name: `${path.basename(npz)}#${sp}/${i}`, width: S, height: S });
        if (x1 >= 0) annotations.push({ id, image_id: id, category_id: s.label + 1, bbox: [x0, y0, x1 - x0 + 1, y1 - y0 + 1], area: (x1 - x0 + 1) * (y1 - y0 + 1), iscrowd: 0, source: 'manual' });
      }
      arrays[`${sp}_images`] = { data: img, shape: [samples.length, S, S, 3] };
      arrays[`${sp}_labels`] = { data: Uint8Array.from(samples.map((s) => s.label)), shape: [samples.length] };
      arrays[`${sp}_masks`] = { data: msk, shape: [samples.length, S, S] };
    }
    fs.writeFileSync(npz, encodeNpz(arrays));
    fs.writeFileSync(coco, JSON.stringify({ info: { description: `PH2 expert lesion masks -> boxes at ${S}px` }, images, annotations, categories: classes.map((name, i) => ({ id: i + 1, name })) }));
  }
  const arrays = parseNpz(new Uint8Array(fs.readFileSync(npz)), npz);
  const count = (s: string) => classes.map((_, c) => labels.filter((l, i) => l === c && split[i] === s).length).join('/');
  return {
    name: 'PH2',
    data: `{ format: npz, path: ${JSON.stringify(npz)}, classes: [${classes.join(', ')}], rare: [melanoma]`,
    rare: 'melanoma',
    conditions: ['ce', 'ceBalanced', 'careMasks', 'careSaliency', 'careSegmentation'],
    size: 32,
    epochs: 8,
    maskBoxes: coco,
    testMasks: arrays.get('test_masks')!.data as Uint8Array,
    describe: `PH2 dermoscopy, 200 images (stored at ${PH2_STORE}px); fixed stratified split (seed ${SPLIT_SEED}) common/atypical/melanoma train ${count('train')}, val ${count('val')}, test ${count('test')}`,
  };
}

function prepareBreast(): DataSet {
  const file = path.join(REAL, 'breastmnist', 'breastmnist.npz');
  return {
    name: 'BreastMNIST',
    data: `{ format: npz, path: ${JSON.stringify(file)}, classes: [malignant, benign_or_normal], rare: [malignant]`,
    rare: 'malignant',
    conditions: ['ce', 'ceBalanced', 'careSaliency', 'careSegmentation'],
    size: 28,
    epochs: 4,
    describe: 'BreastMNIST 28px ultrasound, its own split: malignant/benign+normal train 147/399, val 21/57, test 42/114',
  };
}

interface YamlOptions {
  size: number;
  epochs: number;
  width: number;
  /** Generated boxes files by source (made once per dataset, see generateOnce). */
  boxes?: Partial<Record<'saliency' | 'segmentation', string>>;
  /** Write an experiment that generates boxes from this source itself. */
  generate?: 'saliency' | 'segmentation';
}

function experimentYaml(ds: DataSet, c: Condition, o: YamlOptions): string {
  const care = c.startsWith('care');
  const file = c === 'careMasks' ? ds.maskBoxes : c === 'careSaliency' ? o.boxes?.saliency : c === 'careSegmentation' ? o.boxes?.segmentation : undefined;
  const boxes = file ? `, boxes: { source: manual, path: ${JSON.stringify(file)} }` : o.generate ? `, boxes: { source: ${o.generate} }` : '';
  return [
    `name: ${ds.name} ${LABEL[c]}`,
    `method: ${care ? 'care' : 'supervised'}`,
    `data: ${ds.data}${boxes} }`,
    `model: { backbone: resnet, width: ${o.width}, depth: 1, inputSize: ${o.size} }`,
    `train: { epochs: ${o.epochs}, batchSize: 32, lr: 0.003, seed: 1, augment: true${c === 'ce' ? '' : ', balance: sampler'} }`,
    ...(care ? [`care: { alpha: 0.01, threshold: 0.5, stage1Epochs: ${Math.ceil(o.epochs / 2)} }`] : []),
    '',
  ].join('\n');
}

/**
 * Saliency and segmentation boxes, generated once per dataset by the same code a CARE run uses
 * (boxes/generate.ts) and given to every seed's run as a COCO file: saliency boxes do not depend
 * on the seed; the segmentation net is trained once (seed 1) rather than per seed, which keeps
 * the benchmark within its time.
 */
async function generateOnce(ds: DataSet, dir: string, o: YamlOptions, log: (l: string) => void): Promise<YamlOptions['boxes']> {
  const out: NonNullable<YamlOptions['boxes']> = {};
  for (const source of ['saliency', 'segmentation'] as const) {
    const c: Condition = source === 'saliency' ? 'careSaliency' : 'careSegmentation';
    if (!ds.conditions.includes(c)) continue;
    const file = path.join(dir, `boxes.${source}.${o.size}px.coco.json`);
    if (!fs.existsSync(file)) {
      const exp = path.join(dir, `generate-${source}.medstudio.yaml`);
      fs.writeFileSync(exp, experimentYaml(ds, c, { ...o, generate: source }));
      const t = Date.now();
      const r = await generateBoxesInto(await loadExperiment(exp), source, file, { runDir: dir, log: () => undefined });
      log(`${ds.name}: ${r.boxes} ${source} boxes generated once for every seed (${((Date.now() - t) / 1000).toFixed(0)} s)`);
    }
    out[source] = file;
  }
  return out;
}

/** Share of the Grad-CAM heat (true class, min-max normalised) inside the lesion mask, mean over the test images; and the masks' mean area share. */
async function camShare(runDir: string, ds: DataSet, exp: string, size: number, rareOnly: boolean): Promise<{ share: number; area: number; n: number }> {
  const dir = path.join(runDir, 'model');
  const meta = (await readModelMetadata(dir)).medstudio as { classes: string[]; inputSize: number; channels: number; width: number; depth: number; stages?: number };
  const data = await openClassificationData(await loadExperiment(exp), { inputSize: size, boxes: false });
  const net = wrapClassifier(await loadModel(dir), { ...meta, numClasses: meta.classes.length });
  const rare = meta.classes.indexOf(ds.rare);
  const S = PH2_STORE;
  let share = 0;
  let area = 0;
  let n = 0;
  for (const [i, s] of data.split('test').entries()) {
    if (rareOnly && s.label !== rare) continue;
    const full = Float32Array.from(ds.testMasks!.subarray(i * S * S, (i + 1) * S * S));
    const m = resizeGray({ data: full, width: S, height: S }, size, size).data.map((v) => (v >= 0.5 ? 1 : 0));
    const x = tf.tensor4d(await data.load(s), [1, size, size, meta.channels]);
    const { cams } = await gradCamMaps(net, x, [s.label]);
    x.dispose();
    const cam = cams[0]!;
    let inside = 0;
    let total = 0;
    let on = 0;
    for (let k = 0; k < cam.length; k++) {
      total += cam[k]!;
      inside += cam[k]! * m[k]!;
      on += m[k]!;
    }
    share += total > 0 ? inside / total : 0;
    area += on / cam.length;
    n++;
  }
  net.dispose();
  return { share: share / n, area: area / n, n };
}

const round = (v: number) => Math.round(v * 1e4) / 1e4;
function stats(xs: number[]): { mean: number; sd: number; values: number[] } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean: round(mean), sd: round(sd), values: xs.map(round) };
}
const pm = (s: { mean: number; sd: number }) => `${s.mean >= 0 ? ' ' : ''}${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`;

interface Row {
  metrics: EvalMetrics;
  runDir: string;
  seconds: number;
  camShare?: { share: number; area: number; n: number; rareShare: number };
}

const bench: Bench = async (io) => {
  if (!fs.existsSync(REAL)) throw new Error(`the real-data folder ${REAL} is missing (it is not part of the repository; set MEDSTUDIO_REAL_DATA)`);
  const seeds = num(io.args, 'seeds', 5);
  const epochsArg = arg(io.args, 'epochs') ? num(io.args, 'epochs', 1) : undefined;
  const sizeArg = arg(io.args, 'size') ? num(io.args, 'size', 32) : undefined;
  const settings: Record<string, unknown> = {};
  const width = num(io.args, 'width', 8);
  const which = (arg(io.args, 'data') ?? 'ph2,breastmnist').split(',');
  const status = await ensureBackend();
  io.log(`backend: ${status.backend} (${status.device}); seeds 1..${seeds}, ResNet width ${width}, batch 32, Adam lr 0.003, cosine per phase, augmentation on`);
  const sets = [...(which.includes('ph2') ? [await preparePh2()] : []), ...(which.includes('breastmnist') ? [prepareBreast()] : [])];
  const t0 = Date.now();
  const figures: Record<string, unknown> = {};
  for (const ds of sets) {
    io.log(`\n${ds.describe}`);
    const dir = path.join(WORK, ds.name.toLowerCase());
    fs.mkdirSync(dir, { recursive: true });
    const rows: Record<string, Row[]> = {};
    const size = sizeArg ?? ds.size;
    const epochs = epochsArg ?? ds.epochs;
    const boxes = await generateOnce(ds, dir, { size, epochs, width }, io.log);
    settings[ds.name] = { inputSize: size, epochs, stage1Epochs: Math.ceil(epochs / 2) };
    io.log(`${ds.name}: ${size}px input, ${epochs} epochs (CARE: ${Math.ceil(epochs / 2)} + ${epochs - Math.ceil(epochs / 2)})`);
    for (const c of ds.conditions) {
      const file = path.join(dir, `${c}.medstudio.yaml`);
      fs.writeFileSync(file, experimentYaml(ds, c, { size, epochs, width, boxes }));
      rows[c] = [];
      for (let seed = 1; seed <= seeds; seed++) {
        const t = Date.now();
        const out = await runExperiment(file, { outDir: path.join(ROOT, '.medstudio', 'bench-runs'), adjust: (e) => ({ ...e, train: { ...e.train, seed } }) });
        const m = out.result?.test;
        if (!m) throw new Error(`${ds.name} ${LABEL[c]} seed ${seed} did not finish (${out.info.state}${out.info.error ? `: ${out.info.error}` : ''})`);
        const row: Row = { metrics: m, runDir: out.info.runDir, seconds: (Date.now() - t) / 1000 };
        if (ds.testMasks) {
          const all = await camShare(out.info.runDir, ds, file, size, false);
          const rare = await camShare(out.info.runDir, ds, file, size, true);
          row.camShare = { ...all, rareShare: rare.share };
        }
        rows[c]!.push(row);
        const boxed = m.extra?.rareImagesWithBoxes;
        io.log(
          `${ds.name} ${LABEL[c].padEnd(25)} seed ${seed}: ${ds.rare} recall ${m.recall?.[ds.rare]?.toFixed(3)}, balanced accuracy ${m.balancedAccuracy?.toFixed(3)}, AUC ${m.auc?.toFixed(3)}` +
            `${row.camShare ? `, CAM in lesion ${row.camShare.share.toFixed(3)}` : ''}${boxed !== undefined ? `, ${boxed} boxed ${ds.rare} training images` : ''} (${row.seconds.toFixed(0)} s)`,
        );
      }
    }
    const metric = (r: Row, k: 'recall' | 'bacc' | 'auc' | 'cam' | 'camRare') =>
      k === 'recall' ? (r.metrics.recall?.[ds.rare] ?? NaN) : k === 'bacc' ? (r.metrics.balancedAccuracy ?? NaN) : k === 'auc' ? (r.metrics.auc ?? NaN) : k === 'cam' ? (r.camShare?.share ?? NaN) : (r.camShare?.rareShare ?? NaN);
    const keys = ['recall', 'bacc', 'auc', ...(ds.testMasks ? (['cam', 'camRare'] as const) : [])] as const;
    const summary: Record<string, Record<string, unknown>> = {};
    io.log(`\n${ds.name}, test split, seeds 1..${seeds}: mean ± sd, and paired difference to CE (mean ± sd of per-seed differences) [${status.backend}]`);
    const head = keys.map((k) => ({ recall: `${ds.rare} recall`, bacc: 'balanced accuracy', auc: 'macro AUC', cam: 'CAM share in lesion', camRare: `CAM share, ${ds.rare}` })[k]);
    io.log(`| condition | ${head.join(' | ')} | ${head.map((h) => `Δ ${h}`).join(' | ')} |`);
    io.log(`| --- | ${head.map(() => '---').join(' | ')} | ${head.map(() => '---').join(' | ')} |`);
    for (const c of ds.conditions) {
      const s = Object.fromEntries(keys.map((k) => [k, stats(rows[c]!.map((r) => metric(r, k)))]));
      const d = Object.fromEntries(keys.map((k) => [k, stats(rows[c]!.map((r, i) => metric(r, k) - metric(rows.ce![i]!, k)))]));
      summary[c] = { label: LABEL[c], ...s, differenceToCe: d, seconds: stats(rows[c]!.map((r) => r.seconds)).mean };
      io.log(`| ${LABEL[c]} | ${keys.map((k) => pm(s[k]!)).join(' | ')} | ${c === 'ce' ? keys.map(() => '').join(' | ') : keys.map((k) => pm(d[k]!)).join(' | ')} |`);
    }
    if (ds.testMasks) io.log(`(lesion masks cover ${(rows.ce![0]!.camShare!.area * 100).toFixed(1)}% of a ${size}px test image on average: a uniform map's share)`);
    figures[ds.name] = { data: ds.describe, rareClass: ds.rare, conditions: summary, ...(ds.testMasks ? { maskAreaShare: round(rows.ce![0]!.camShare!.area) } : {}) };
  }
  return { backend: status.backend, device: status.device, seeds, width, splitSeed: SPLIT_SEED, settings, ...figures, seconds: Math.round((Date.now() - t0) / 1000) };
};

export default bench;
