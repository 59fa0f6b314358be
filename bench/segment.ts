/**
 * `npm run bench -- segment [--json] [--seeds 1] [--first-seed 1] [--epochs 8] [--steps 25] [--features 0] [--batch 2] [--optimizer sgd|adam] [--lr 0.01] [--vit-epochs 30] [--arms unet,vit] [--glmae-epochs 6]`
 *
 * 3D segmentation of the real MSD hippocampus MRI volumes (../shared/data/real/hippocampus/,
 * anterior and posterior hippocampus) on the fixed split of bench/hippocampusSplit.ts (140
 * train, 20 val, 40 test), through the real runner:
 *   unet — the convolutional U-Net configured from the data (patches at native 1 mm, sliding
 *          windows with mirroring TTA), Dice and HD95 per structure on the native grid;
 *   vit  — the UNETR-style ViT (inputSize 32, patch 8, embed 96, depth 4) on volumes squashed
 *          to 32^3; its test predictions are resized back to each volume's grid and scored there
 *          (bench/vitNative.ts), so both arms are scored on the same voxels (its runner's own
 *          32^3-grid Dice is reported beside, as vitGrid32);
 *   vit-patch — the same ViT with data.patch: 32^3 patches (2 per volume, batch 4, half the
 *          epochs: as many patches as the vit arm sees volumes) from whole volumes at 1 mm, a
 *          labelled voxel in a third of them; its runner's test Dice comes from sliding windows
 *          over whole volumes on the 1 mm (native) grid;
 *   vit-glmae — the vit arm (same data, budget and scoring) with its encoder initialised from a
 *          GL-MAE pretraining on the 140 training volumes (seed = the arm's seed, --glmae-epochs
 *          epochs), taken from bench glmae's cache of pretrained encoders or pretrained now
 *          (bench/glmaePretrain.ts).
 * Figures are test-split means over cases, then mean ± sd over seeds, with training time.
 * Says so and stops when the data are missing. Never fails on time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { runExperiment } from '../server/src/runs/runner';
import { HIPPOCAMPUS, hippocampusCases, writeHippocampusSplit } from './hippocampusSplit';
import { scoreVitOnNativeGrid } from './vitNative';
import { pretrainOnHippocampus } from './glmaePretrain';

interface Options {
  seeds: number;
  /** Seeds run are firstSeed..firstSeed+seeds-1: two processes can each take one seed, one core each. */
  firstSeed: number;
  epochs: number;
  steps: number;
  features: number;
  batch: number;
  vitEpochs: number;
  optimizer: 'sgd' | 'adam';
  lr: number;
  arms: string[];
  glmaeEpochs: number;
}

function parse(args: string[]): Options {
  const val = (k: string, d: number): number => {
    const i = args.indexOf(`--${k}`);
    const v = i >= 0 ? Number(args[i + 1]) : d;
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${k} needs a number, got '${args[i + 1]}'`);
    return v;
  };
  const a = args.indexOf('--arms');
  const arms = a >= 0 ? (args[a + 1] ?? '').split(',') : ['unet', 'vit'];
  if (arms.some((x) => !['unet', 'vit', 'vit-patch', 'vit-glmae'].includes(x))) throw new Error(`--arms takes unet, vit, vit-patch and/or vit-glmae, got '${args[a + 1]}'`);
  const oi = args.indexOf('--optimizer');
  const optimizer = oi >= 0 ? args[oi + 1] : 'sgd';
  if (optimizer !== 'sgd' && optimizer !== 'adam') throw new Error(`--optimizer takes sgd or adam, got '${optimizer}'`);
  return { optimizer, lr: val('lr', optimizer === 'sgd' ? 0.01 : 0.001), seeds: val('seeds', 1), firstSeed: Math.max(1, val('first-seed', 1)), epochs: val('epochs', 8), steps: val('steps', 25), features: val('features', 0), batch: val('batch', 2), vitEpochs: val('vit-epochs', 30), arms, glmaeEpochs: val('glmae-epochs', 6) };
}

const DATA = (split: string) => `data:
  format: volumes
  path: ${JSON.stringify(path.join(HIPPOCAMPUS, 'images'))}
  labels: ${JSON.stringify(path.join(HIPPOCAMPUS, 'labels'))}
  classes: [background, anterior, posterior]
  split: ${JSON.stringify(split)}`;

const unetYaml = (o: Options, seed: number, split: string) => `name: bench segment unet seed ${seed}
method: segment
${DATA(split)}
model: { backbone: unet }
unet: { features: ${o.features}, batchSize: ${o.batch}, stepsPerEpoch: ${o.steps} }
train: { epochs: ${o.epochs}, optimizer: ${o.optimizer}, lr: ${o.lr}, seed: ${seed}, checkpointEvery: 1000, adaptiveThreads: true }
`;

const vitYaml = (o: Options, seed: number, split: string, init?: string) => `name: bench segment vit${init ? '-glmae' : ''} seed ${seed}
method: segment
${init ? `init: ${JSON.stringify(init)}\n` : ''}${DATA(split)}
model: { backbone: vit3d, inputSize: 32, patchSize: 8, embedDim: 96, depth: 4, heads: 4, decoderWidth: 16 }
train: { epochs: ${o.vitEpochs}, batchSize: 4, lr: 0.001, seed: ${seed}, augment: true, checkpointEvery: 1000 }
`;

const vitPatchYaml = (o: Options, seed: number, split: string) => `name: bench segment vit-patch seed ${seed}
method: segment
${DATA(split)}
  spacing: [1, 1, 1]
  patch: true
  patchesPerVolume: 2
model: { backbone: vit3d, inputSize: 32, patchSize: 8, embedDim: 96, depth: 4, heads: 4, decoderWidth: 16 }
train: { epochs: ${Math.max(1, Math.ceil(o.vitEpochs / 2))}, batchSize: 4, lr: 0.001, seed: ${seed}, augment: true, checkpointEvery: 1000 }
`;

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd, values: xs };
};

const bench: Bench = async ({ args, log }) => {
  const o = parse(args);
  if (!fs.existsSync(path.join(HIPPOCAMPUS, 'images'))) {
    log(`segment bench: ${HIPPOCAMPUS} is missing (the real hippocampus volumes live in ../shared/data/real/); nothing measured`);
    return { skipped: `missing ${HIPPOCAMPUS}` };
  }
  const compute = await ensureBackend({});
  const backend = compute.backend;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-bench-segment-'));
  const runs = path.join(work, 'runs');
  const split = writeHippocampusSplit(HIPPOCAMPUS, path.join(work, 'hippocampus-split.csv'));
  log(`segment bench on ${backend} (${compute.device}, native kernels: ${String(compute.details.nativeKernels ?? 'none')}); runs in ${runs}`);
  const results: Record<string, Record<string, number[]>> = {};
  // The ViT arms are rescored on these volumes' own grids.
  const testCases = hippocampusCases().filter((c) => c.split === 'test').map(({ image, label }) => ({ image, label }));
  for (let seed = o.firstSeed; seed < o.firstSeed + o.seeds; seed++) {
    for (const arm of o.arms) {
      const file = path.join(work, `${arm}-seed${seed}.medstudio.yaml`);
      const init = arm === 'vit-glmae' ? (await pretrainOnHippocampus('glmae', seed, o.glmaeEpochs, log)).runDir : undefined;
      fs.writeFileSync(file, arm === 'unet' ? unetYaml(o, seed, split) : arm === 'vit' || init ? vitYaml(o, seed, split, init) : vitPatchYaml(o, seed, split));
      const t0 = performance.now();
      let lastLog = 0;
      const r = await runExperiment(file, {
        outDir: runs,
        // Progress and the run's own lines go to stderr, so a long run shows where it is.
        onEvent: (ev) => {
          if (ev.kind === 'log') process.stderr.write(`    ${arm}: ${ev.message}\n`);
          else if (ev.kind === 'metrics') process.stderr.write(`    ${arm}: ${ev.metrics.split} epoch ${ev.metrics.epoch} ${JSON.stringify(ev.metrics.extra ?? {})}\n`);
          else if (ev.kind === 'progress' && performance.now() - lastLog > 60_000) {
            lastLog = performance.now();
            const p = ev.progress;
            process.stderr.write(`    ${arm}: epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.steps} loss ${p.loss.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
          }
        },
      });
      const seconds = (performance.now() - t0) / 1000;
      let x: Record<string, number> = r.result?.test?.extra ?? {};
      if (arm === 'vit' || arm === 'vit-glmae') {
        const grid32 = Object.fromEntries(Object.entries(x).map(([k, v]) => [`grid32_${k}`, v]));
        x = { ...(await scoreVitOnNativeGrid(r.info.runDir, testCases)), ...grid32 };
      }
      log(`  ${arm} seed ${seed}: ${seconds.toFixed(0)} s, test ${JSON.stringify(x)}`);
      const slot = (results[arm] ??= {});
      for (const [k, v] of Object.entries({ ...x, seconds })) (slot[k] ??= []).push(v);
    }
  }
  const figures: Record<string, unknown> = {
    backend,
    device: compute.device,
    setup: {
      data: 'MSD Task04 hippocampus MRI (../shared/data/real/hippocampus), fixed split bench/hippocampusSplit.ts: 140 train, 20 val, 40 test',
      seeds: o.seeds,
      firstSeed: o.firstSeed,
      unet: `features ${o.features || 'auto (16 on the CPU)'}, batch ${o.batch}, ${o.epochs} epochs x ${o.steps} steps, ${o.optimizer} lr ${o.lr} poly, patch/stages/spacing/normalisation auto; Dice/HD95 on the native 1 mm grid, sliding window + mirroring TTA`,
      vit: `UNETR-style ViT 32^3, patch 8, embed 96, depth 4, ${o.vitEpochs} epochs, batch 4; predictions resized back to the native grid and scored there (grid32_*: its own 32^3-grid Dice)`,
      'vit-glmae': `the vit arm with its encoder from GL-MAE pretraining (${o.glmaeEpochs} epochs on the 140 training volumes, seed = the arm's seed; bench/glmaePretrain.ts, cached)`,
      'vit-patch': `the same ViT with data.patch: ${Math.max(1, Math.ceil(o.vitEpochs / 2))} epochs x batch 4 of 32^3 patches, 2 per volume, at 1 mm; sliding-window Dice over whole test volumes on the native grid`,
    },
  };
  log('');
  log(`test split (40 volumes), mean ± sd over ${o.seeds} seed(s) from seed ${o.firstSeed} [${backend}]:`);
  const f = (v?: number[]) => (v ? `${stats(v).mean.toFixed(3)} ± ${stats(v).sd.toFixed(3)}` : '–').padEnd(16);
  log(`  ${'arm'.padEnd(6)} ${'anterior Dice'.padEnd(16)} ${'posterior Dice'.padEnd(16)} ${'mean Dice'.padEnd(16)} ${'HD95 ant. mm'.padEnd(16)} ${'HD95 post. mm'.padEnd(16)} train+test s`);
  for (const [arm, r] of Object.entries(results)) {
    figures[arm] = { ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, stats(v)])), backend };
    log(`  ${arm.padEnd(6)} ${f(r.dice_anterior)} ${f(r.dice_posterior)} ${f(r.meanDice)} ${f(r.hd95_anterior)} ${f(r.hd95_posterior)} ${f(r.seconds)} [${backend}]`);
  }
  if (results.unet && results.vit && o.seeds > 0) {
    const d = results.unet.meanDice!.map((v, i) => v - results.vit!.meanDice![i]!);
    figures.pairedMeanDiceUnetMinusVit = { ...stats(d), backend, note: 'same seeds, both scored on the native 1 mm grid' };
  }
  if (results['vit-glmae'] && results.vit) {
    const d = results['vit-glmae'].meanDice!.map((v, i) => v - results.vit!.meanDice![i]!);
    figures.pairedMeanDiceVitGlmaeMinusVit = { ...stats(d), backend, note: 'same seeds, both scored on the native 1 mm grid' };
    log(`  paired mean Dice vit-glmae - vit: ${f(d)} (per seed ${d.map((v) => v.toFixed(3)).join(', ')}) [${backend}]`);
  }
  figures.runsFolder = runs;
  setTimeout(() => process.exit(0), 1000).unref();
  return figures;
};

export default bench;
