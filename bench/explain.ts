/**
 * `npm run bench -- explain [--json] [--seeds N] [--epochs N] [--images N] [--steps N]`
 *
 * Explanations measured on real images: PH2 dermoscopy (../shared/data/real/ph2, expert lesion
 * masks). For each seed a small ResNet is trained with cross-entropy on a fixed stratified split
 * (the split does not move with the seed), then on test images:
 * - Grad-CAM: the share of the heat that falls inside the lesion mask, beside the mask's share of
 *   the image (what a uniform map would score), per image, mean ± sd over images and seeds;
 * - kernel interpretation: for the layer at convolution index 1, 2, 3 and the last convolution,
 *   the kept kernel's mean |activation| over the others' mean |activation| on x and on the
 *   optimised x' (ALGORITHMS.md; weights by convolution index, L1 toward the data mean).
 * Every figure names its backend and data; nothing here fails on time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { runExperiment } from '../server/src/runs/runner';
import { Explainer } from '../server/src/explain/explainer';
import { readExplainImage } from '../server/src/explain/image';
import { openRunModel } from '../server/src/explain/runModel';
import { toModelInput } from '../server/src/explain/preprocess';
import { runGraph } from '../server/src/explain/graph';
import { interpretKernel } from '../server/src/explain/kernelInterpret';
import { weightsForConvolution } from '../server/src/explain/kernelLoss';
import { topKernels } from '../server/src/explain/topKernels';
import { readPh2, writePh2Manifest, type Ph2Image } from './data/ph2';
import { mean, ms, positiveIntArg } from './stats';


/** Share of the heat inside the mask, and the mask's share of the image. */
async function heatInside(heat: Float32Array, maskFile: string): Promise<{ inside: number; area: number }> {
  const mask = await readExplainImage(maskFile);
  const c = mask.components;
  const n = heat.length;
  if (mask.data.length / c !== n) throw new Error(`${maskFile}: ${mask.data.length / c} pixels, the heatmap has ${n}`);
  let total = 0;
  let inside = 0;
  let area = 0;
  for (let p = 0; p < n; p++) {
    const m = mask.data[p * c]! > 127;
    total += heat[p]!;
    if (m) {
      inside += heat[p]!;
      area++;
    }
  }
  return { inside: total > 0 ? inside / total : NaN, area: area / n };
}

/** Kept kernel's mean |A| over the other kernels' mean |A|. */
function keptRatio(a: tf.Tensor, kernel: number): number {
  return tf.tidy(() => {
    const c = a.shape[a.shape.length - 1]!;
    const abs = tf.reshape(tf.abs(a), [-1, c]);
    const perKernel = Array.from(tf.mean(abs, 0).dataSync());
    const others = (perKernel.reduce((s, v) => s + v, 0) - perKernel[kernel]!) / (c - 1);
    return others > 0 ? perKernel[kernel]! / others : Infinity;
  });
}

const bench: Bench = async (io) => {
  const seeds = positiveIntArg(io.args, 'seeds', 3);
  const epochs = positiveIntArg(io.args, 'epochs', 15);
  const nImages = positiveIntArg(io.args, 'images', 6);
  const steps = positiveIntArg(io.args, 'steps', 150);
  const ph2 = readPh2();
  const status = await ensureBackend({ threads: 1 });
  const backend = status.backend;
  const data = 'PH2 (200 dermoscopy images, expert lesion masks), fixed stratified split';
  io.log(`explanations on ${data}; backend ${backend} (${status.device}); ${seeds} seeds, ${epochs} epochs`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-bench-explain-'));
  const manifest = writePh2Manifest(ph2, tmp, { seed: 0, val: 0.2, test: 0.2 });
  const testImages: Ph2Image[] = ph2.images.filter((im) => manifest.split.get(im.id) === 'test');
  const expFile = path.join(tmp, 'ph2.medstudio.yaml');
  fs.writeFileSync(
    expFile,
    `name: ph2 cross-entropy\nmethod: supervised\ndata: { format: csv, path: ${manifest.csv}, classes: [${ph2.classes.join(', ')}] }\n` +
      `model: { backbone: resnet, width: 8, depth: 1, inputSize: 64 }\ntrain: { epochs: ${epochs}, batchSize: 16, lr: 0.003, seed: 1, balance: sampler }\n`,
  );
  const explainer = new Explainer();
  const cam: { seed: number; image: string; inside: number; area: number }[] = [];
  const kernels: { seed: number; image: string; convolution: number; layer: string; before: number; after: number; steps: number }[] = [];
  const accuracy: number[] = [];
  try {
    for (let seed = 1; seed <= seeds; seed++) {
      const out = await runExperiment(expFile, { outDir: path.join(tmp, 'runs'), adjust: (e) => ({ ...e, train: { ...e.train, seed } }) });
      const runDir = out.info.runDir;
      const test = out.result?.test;
      if (!test) throw new Error(`seed ${seed}: training did not finish (${out.info.state})`);
      accuracy.push(test.balancedAccuracy ?? NaN);
      io.log(`seed ${seed}: test balanced accuracy ${test.balancedAccuracy?.toFixed(3)} (${runDir})`);
      for (const im of testImages) {
        const h = await explainer.gradCam({ runDir, imagePath: im.image });
        const s = await heatInside(h.heatmap, im.mask);
        cam.push({ seed, image: im.id, ...s });
      }
      const c = cam.filter((r) => r.seed === seed);
      io.log(`  Grad-CAM heat inside the lesion mask: ${mean(c.map((r) => r.inside)).toFixed(3)} (mask area ${mean(c.map((r) => r.area)).toFixed(3)}), ${c.length} test images`);

      const run = await openRunModel(runDir);
      try {
        const convs = run.model.layers.filter((l) => l.getClassName() === 'Conv2D');
        const picks = [1, 2, 3, convs.length].filter((v, i, a) => v <= convs.length && a.indexOf(v) === i);
        for (const im of testImages.slice(0, nImages)) {
          const image = await readExplainImage(im.image);
          const x = toModelInput(image, run);
          try {
            for (const index of picks) {
              const layer = convs[index - 1]!.name;
              const features = (t: tf.Tensor) => runGraph(run.model, t, { fetch: [layer], featuresOnly: true }).layers.get(layer)!;
              const kernel = (await topKernels(run.model, x, layer, 1))[0]!.index;
              const a0 = tf.tidy(() => features(x));
              const before = keptRatio(a0, kernel);
              a0.dispose();
              const meanAnchor = run.inputMean ?? [0.5];
              const r = await interpretKernel(run.model, x, { layer, kernel, weights: weightsForConvolution(index), mean: meanAnchor, schedule: { maxSteps: steps } });
              const a1 = tf.tidy(() => features(r.image));
              const after = keptRatio(a1, kernel);
              tf.dispose([a1, r.image]);
              kernels.push({ seed, image: im.id, convolution: index, layer, before, after, steps: r.steps });
            }
          } finally {
            x.dispose();
          }
        }
      } finally {
        run.model.dispose();
      }
      for (const index of [...new Set(kernels.filter((k) => k.seed === seed).map((k) => k.convolution))]) {
        const k = kernels.filter((r) => r.seed === seed && r.convolution === index);
        io.log(`  kernel interpretation, convolution ${index}: kept/others ${mean(k.map((r) => r.before)).toFixed(2)} -> ${mean(k.map((r) => r.after)).toFixed(2)} (${k.length} images)`);
      }
    }
  } finally {
    explainer.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const byConv = [...new Set(kernels.map((k) => k.convolution))].map((convolution) => {
    const k = kernels.filter((r) => r.convolution === convolution);
    return { convolution, before: ms(k.map((r) => r.before)), after: ms(k.map((r) => r.after)), gain: ms(k.map((r) => r.after / r.before)), backend, data: 'PH2' };
  });
  const gradCam = { heatInsideMask: ms(cam.map((r) => r.inside)), maskArea: ms(cam.map((r) => r.area)), insideMinusArea: ms(cam.map((r) => r.inside - r.area)), backend, data: 'PH2 test split' };
  io.log('');
  io.log(`| Grad-CAM (CE ResNet, ${seeds} seeds x ${testImages.length} test images) | mean ± sd |`);
  io.log('| --- | --- |');
  io.log(`| heat inside the lesion mask | ${gradCam.heatInsideMask.mean.toFixed(3)} ± ${gradCam.heatInsideMask.sd.toFixed(3)} |`);
  io.log(`| mask's share of the image (uniform heat) | ${gradCam.maskArea.mean.toFixed(3)} ± ${gradCam.maskArea.sd.toFixed(3)} |`);
  io.log(`| paired difference (inside - area) | ${gradCam.insideMinusArea.mean.toFixed(3)} ± ${gradCam.insideMinusArea.sd.toFixed(3)} |`);
  io.log('');
  io.log(`| kernel interpretation, layer | kept/others on x | on x' | ratio x'/x |`);
  io.log('| --- | --- | --- | --- |');
  for (const b of byConv) io.log(`| convolution ${b.convolution} | ${b.before.mean.toFixed(2)} ± ${b.before.sd.toFixed(2)} | ${b.after.mean.toFixed(2)} ± ${b.after.sd.toFixed(2)} | ${b.gain.mean.toFixed(2)} ± ${b.gain.sd.toFixed(2)} (n=${b.gain.n}) |`);
  return { bench: 'explain', backend, device: status.device, data, seeds, epochs, balancedAccuracy: ms(accuracy), gradCam, kernelInterpretation: byConv };
};

export default bench;
