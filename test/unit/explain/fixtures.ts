/**
 * Test fixtures for explanations: tiny synthetic "lesion" images with known boxes, a tiny CNN
 * trained on them in the test process, saved as a run folder in the layout the run
 * infrastructure writes (model/model.json + weights.bin with `medstudio` metadata,
 * experiment.json).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PNG } from 'pngjs';
import { saveModel } from '../../../server/src/runs';
import { createRng, type Rng } from '../../../server/src/transforms';

export const SIZE = 32;
export const CLASSES = ['clear', 'lesion'];

export interface LesionImage {
  path: string;
  label: number;
  /** [x, y, w, h] in pixels (lesion images only). */
  box?: [number, number, number, number];
  /** Grey values 0..255, row-major. */
  pixels: Float32Array;
}

/**
 * Textured skin-like background with a random bright line (a confounder in both classes);
 * lesion images add a dark disk of radius 3-5 somewhere inside.
 */
function drawImage(rng: Rng, lesion: boolean): { pixels: Float32Array; box?: [number, number, number, number] } {
  const px = new Float32Array(SIZE * SIZE);
  const base = rng.uniform(150, 190);
  for (let i = 0; i < px.length; i++) px[i] = base + 12 * rng.normal();
  if (rng.chance(0.5)) {
    const row = rng.int(SIZE);
    for (let x = 0; x < SIZE; x++) px[row * SIZE + x] = 240;
  }
  if (!lesion) return { pixels: px };
  const r = 3 + rng.int(3);
  const cx = r + 1 + rng.int(SIZE - 2 * r - 2);
  const cy = r + 1 + rng.int(SIZE - 2 * r - 2);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= r * r) px[y * SIZE + x] = 60 + 10 * rng.normal();
    }
  }
  return { pixels: px, box: [cx - r, cy - r, 2 * r + 1, 2 * r + 1] };
}

export function writeGreyPng(file: string, pixels: Float32Array, width: number, height: number): void {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    const v = Math.max(0, Math.min(255, Math.round(pixels[i]!)));
    png.data[i * 4] = v;
    png.data[i * 4 + 1] = v;
    png.data[i * 4 + 2] = v;
    png.data[i * 4 + 3] = 255;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(png));
}

export function makeImages(dir: string, count: number, seed: number): LesionImage[] {
  const rng = createRng(seed);
  const out: LesionImage[] = [];
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    const { pixels, box } = drawImage(rng, label === 1);
    const file = path.join(dir, `img-${seed}-${i}.png`);
    writeGreyPng(file, pixels, SIZE, SIZE);
    out.push({ path: file, label, box, pixels });
  }
  return out;
}

/** conv(8) -> pool -> conv(16) -> pool -> conv(16, 'last') -> GAP -> dense(2, 'logits'). */
export function tinyCnn(seed = 1): tfl.LayersModel {
  const init = (k: number) => tfl.initializers.heNormal({ seed: seed * 10 + k });
  const input = tfl.input({ shape: [SIZE, SIZE, 1], name: 'image' });
  let h = tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1', kernelInitializer: init(1) }).apply(input) as tfl.SymbolicTensor;
  h = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2', kernelInitializer: init(2) }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }).apply(h) as tfl.SymbolicTensor;
  const last = tfl.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', name: 'last', kernelInitializer: init(3) }).apply(h) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(last) as tfl.SymbolicTensor;
  const logits = tfl.layers.dense({ units: 2, name: 'logits', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed * 10 + 4 }) }).apply(pooled) as tfl.SymbolicTensor;
  // Two outputs, like MedStudio's classifiers (feature maps and class scores).
  return tfl.model({ inputs: input, outputs: [last, logits] });
}

/** Trains the class-score output with softmax cross-entropy (Adam), on images scaled /255. */
export async function train(model: tfl.LayersModel, images: LesionImage[], epochs: number): Promise<void> {
  const optimizer = tf.train.adam(0.01);
  const xs = tf.tensor4d(Float32Array.from(images.flatMap((im) => Array.from(im.pixels, (v) => Math.max(0, Math.min(255, Math.round(v))) / 255))), [images.length, SIZE, SIZE, 1]);
  const ys = tf.oneHot(tf.tensor1d(images.map((im) => im.label), 'int32'), 2);
  const batch = 16;
  for (let e = 0; e < epochs; e++) {
    for (let b = 0; b < images.length; b += batch) {
      const n = Math.min(batch, images.length - b);
      tf.tidy(() => {
        const x = tf.slice(xs, [b, 0, 0, 0], [n, SIZE, SIZE, 1]);
        const y = tf.slice(ys, [b, 0], [n, 2]);
        optimizer.minimize(() => {
          const out = model.apply(x, { training: true }) as tf.Tensor[];
          return tf.losses.softmaxCrossEntropy(y, out[1]!) as tf.Scalar;
        });
      });
    }
  }
  optimizer.dispose();
  xs.dispose();
  ys.dispose();
}

/** A run folder as the run infrastructure writes it. */
export async function saveRun(runDir: string, model: tfl.LayersModel, classes = CLASSES, extra: Record<string, unknown> = {}): Promise<void> {
  await saveModel(path.join(runDir, 'model'), model, { medstudio: { kind: 'classifier', classes, outputs: ['features', 'logits'], logitsLayer: 'logits', featureLayer: 'last', ...extra } });
  fs.writeFileSync(path.join(runDir, 'experiment.json'), JSON.stringify({ name: 'tiny lesions', data: { classes } }, null, 2));
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `medstudio-explain-${prefix}-`));
}

/** Trains the tiny CNN on synthetic lesions and saves it as a run; returns held-out images. */
export async function lesionRun(dir: string, opts: { trainCount?: number; epochs?: number; testCount?: number } = {}): Promise<{ runDir: string; test: LesionImage[] }> {
  const trainSet = makeImages(path.join(dir, 'train'), opts.trainCount ?? 96, 7);
  const test = makeImages(path.join(dir, 'test'), opts.testCount ?? 12, 99);
  const model = tinyCnn();
  await train(model, trainSet, opts.epochs ?? 25);
  const runDir = path.join(dir, 'run');
  await saveRun(runDir, model);
  model.dispose();
  return { runDir, test };
}
