/**
 * `npm run bench -- glmae [--json] [--seeds 3] [--pretrain-epochs 6] [--labelled 5,10,20] [--steps 600] [--arms scratch,glmae,mae] [--threads 0]`
 *
 * The GL-MAE claim (ALGORITHMS.md): with few labels, fine-tuning 3D segmentation (UNETR-style
 * decoder) from a GL-MAE encoder beats training from scratch. On real MRI: the MSD hippocampus
 * volumes (../shared/data/real/hippocampus; background / anterior / posterior), on the fixed
 * split the segmentation benchmark uses (bench/hippocampusSplit.ts: 140 train, 20 val, 40 test;
 * pretraining sees the 140 training volumes only, labels unused). Arms (--arms):
 *   scratch         — a randomly initialised ViT encoder;
 *   glmae           — the encoder of a GL-MAE pretraining run (the paper's losses, no predictor);
 *   mae             — the ablation: the same pretraining with lambda_g2g = lambda_l2g = 0
 *                     (masked reconstruction only, a plain 3D MAE);
 *   glmae-predictor — GL-MAE with the BYOL-style student predictor (glmae.predictor: true).
 * Seed s pretrains its encoders with seed s (bench/glmaePretrain.ts caches them outside git, so
 * reruns and `bench segment`'s vit-glmae arm reuse them) and fine-tunes every arm on the same
 * `labelled` training volumes (seed s picks which) for about `steps` optimiser steps of one
 * volume. Figures: test-split Dice per structure, mean ± sample sd over seeds, per-seed values,
 * paired differences, and each pretraining's final loss terms. Never fails on time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { runExperiment } from '../server/src/runs/runner';
import { HIPPOCAMPUS, hippocampusCases } from './hippocampusSplit';
import { PRETRAIN_VARIANTS, type PretrainVariant, type Cached, VIT_ENCODER, benchCacheRoot, pretrainOnHippocampus } from './glmaePretrain';
import { mean, ms, pm, sd } from './stats';

type Arm = 'scratch' | PretrainVariant;
const ARMS: readonly Arm[] = ['scratch', ...PRETRAIN_VARIANTS];

interface Options {
  seeds: number;
  pretrainEpochs: number;
  labelled: number[];
  steps: number;
  arms: Arm[];
  threads: number;
}

function parse(args: string[]): Options {
  const raw = (k: string): string | undefined => {
    const i = args.indexOf(`--${k}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const int = (k: string, d: number, min: number): number => {
    const v = raw(k) === undefined ? d : Number(raw(k));
    if (!Number.isInteger(v) || v < min) throw new Error(`--${k} needs an integer >= ${min}, got '${raw(k)}'`);
    return v;
  };
  const labelled = (raw('labelled') ?? '5,10,20').split(',').map(Number);
  if (labelled.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--labelled needs positive integers, got '${raw('labelled')}'`);
  const arms = (raw('arms') ?? 'scratch,glmae,mae').split(',') as Arm[];
  if (arms.some((a) => !ARMS.includes(a))) throw new Error(`--arms takes ${ARMS.join(', ')}; got '${raw('arms')}'`);
  return { seeds: int('seeds', 3, 1), pretrainEpochs: int('pretrain-epochs', 6, 1), labelled, steps: int('steps', 600, 1), arms, threads: int('threads', 0, 0) };
}

/**
 * The fine-tuning data: the hippocampus volumes and labels of the train and test splits behind
 * symlinks, with their split file. The 20 val volumes are left out: every arm is tested after its
 * last epoch (validation picks nothing), and scoring them after every epoch of a 5-label run
 * (120 epochs of 5 steps) took more time than its training. Train (140) and test (40) are the
 * fixed split's, in the same order, so data.labelled picks the same volumes.
 */
function fineTuneData(work: string): { images: string; labels: string; split: string } {
  const root = path.join(work, 'hippocampus-train-test');
  const kept = hippocampusCases().filter((c) => c.split !== 'val');
  for (const sub of ['images', 'labels']) fs.mkdirSync(path.join(root, sub), { recursive: true });
  for (const c of kept) {
    fs.symlinkSync(c.image, path.join(root, 'images', c.name));
    fs.symlinkSync(c.label, path.join(root, 'labels', c.name));
  }
  const split = path.join(root, 'split.csv');
  fs.writeFileSync(split, ['path,split', ...kept.map((c) => `${JSON.stringify(path.join(root, 'images', c.name))},${c.split}`)].join('\n') + '\n');
  return { images: path.join(root, 'images'), labels: path.join(root, 'labels'), split };
}

function segmentYaml(data: ReturnType<typeof fineTuneData>, labelled: number, epochs: number, seed: number, init?: string): string {
  const m = VIT_ENCODER;
  return `name: bench glmae fine-tune (${init ? 'init' : 'scratch'}, ${labelled} labelled, seed ${seed})
method: segment
${init ? `init: ${JSON.stringify(init)}\n` : ''}data:
  format: volumes
  path: ${JSON.stringify(data.images)}
  labels: ${JSON.stringify(data.labels)}
  classes: [background, anterior, posterior]
  split: ${JSON.stringify(data.split)}
  labelled: ${labelled}
model: { backbone: ${m.backbone}, inputSize: ${m.inputSize}, patchSize: ${m.patchSize}, embedDim: ${m.embedDim}, depth: ${m.depth}, heads: ${m.heads}, decoderWidth: 8 }
train: { epochs: ${epochs}, batchSize: 1, lr: 0.002, seed: ${seed}, augment: true, checkpointEvery: 1000 }
`;
}

const bench: Bench = async ({ args, log }) => {
  const o = parse(args);
  if (!fs.existsSync(path.join(HIPPOCAMPUS, 'images'))) {
    log(`glmae bench: ${HIPPOCAMPUS} is missing (the real hippocampus volumes live in ../shared/data/real/); nothing measured`);
    return { skipped: `missing ${HIPPOCAMPUS}` };
  }
  const compute = await ensureBackend({ threads: o.threads });
  const backend = compute.backend;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-bench-glmae-'));
  const runs = path.join(work, 'runs');
  const data = fineTuneData(work);
  log(`glmae bench on MSD hippocampus MRI (real), fixed split 140/20/40 (fine-tuning without the val volumes), 32^3; ${backend} (${compute.device}, native kernels: ${String(compute.details.nativeKernels ?? 'none')}); runs in ${runs}; pretrained encoders cached in ${benchCacheRoot()}`);

  const pretrained: Partial<Record<PretrainVariant, Cached[]>> = {};
  const encoder = async (arm: Arm, seed: number): Promise<string | undefined> => {
    if (arm === 'scratch') return undefined;
    const slot = (pretrained[arm] ??= []);
    slot[seed - 1] ??= await pretrainOnHippocampus(arm, seed, o.pretrainEpochs, log);
    return slot[seed - 1]!.runDir;
  };

  type Slot = { meanDice: number[]; anterior: number[]; posterior: number[]; seconds: number[] };
  const results: Record<number, Partial<Record<Arm, Slot>>> = {};
  for (const labelled of o.labelled) {
    const epochs = Math.max(1, Math.round(o.steps / labelled));
    for (let seed = 1; seed <= o.seeds; seed++) {
      for (const arm of o.arms) {
        const init = await encoder(arm, seed);
        const name = `segment-${arm}-${labelled}-seed${seed}`;
        const file = path.join(work, `${name}.medstudio.yaml`);
        fs.writeFileSync(file, segmentYaml(data, labelled, epochs, seed, init));
        const t0 = performance.now();
        const r = await runExperiment(file, { outDir: runs });
        const seconds = (performance.now() - t0) / 1000;
        if (!r.result?.test) throw new Error(`${name} did not finish (${r.info.state}): see ${r.info.runDir}`);
        const x = r.result.test.extra ?? {};
        log(`  ${name}: ${seconds.toFixed(0)} s (${epochs} epochs x ${labelled} steps), test ${JSON.stringify(x)}`);
        const s = ((results[labelled] ??= {})[arm] ??= { meanDice: [], anterior: [], posterior: [], seconds: [] });
        s.meanDice.push(x.meanDice ?? NaN);
        s.anterior.push(x.dice_anterior ?? NaN);
        s.posterior.push(x.dice_posterior ?? NaN);
        s.seconds.push(seconds);
      }
    }
  }

  log('');
  log(`pretraining (${o.pretrainEpochs} epochs on the 140 training volumes), final val loss terms, mean ± sd over seeds [${backend}]:`);
  log('| variant | loss | rec global | rec local | g2g | l2g | s/run |');
  log('| --- | --- | --- | --- | --- | --- | --- |');
  const pretraining: Record<string, unknown> = {};
  for (const [variant, rs] of Object.entries(pretrained)) {
    const col = (k: string) => rs.map((r) => r.final[k] ?? NaN);
    const secs = rs.map((r) => r.seconds);
    pretraining[variant] = {
      ...Object.fromEntries(['loss', 'recGlobal', 'recLocal', 'g2g', 'l2g'].map((k) => [k, { ...ms(col(k)), values: col(k) }])),
      seconds: ms(secs),
      trainG2gByEpoch: rs.map((r) => r.history.filter((h) => h.split === 'train').map((h) => h.extra.g2g)),
      trainL2gByEpoch: rs.map((r) => r.history.filter((h) => h.split === 'train').map((h) => h.extra.l2g)),
      cacheKeys: rs.map((r) => r.key),
      backend,
    };
    const f4 = (xs: number[]) => `${mean(xs).toFixed(4)} ± ${sd(xs).toFixed(4)}`;
    log(`| ${variant} | ${f4(col('loss'))} | ${f4(col('recGlobal'))} | ${f4(col('recLocal'))} | ${f4(col('g2g'))} | ${f4(col('l2g'))} | ${mean(secs).toFixed(0)} |`);
  }

  log('');
  log(`test Dice (40 held-out volumes), mean ± sd over ${o.seeds} seeds [${backend}, hippocampus]:`);
  log('| labelled | arm | mean Dice | anterior | posterior | s/run |');
  log('| --- | --- | --- | --- | --- | --- |');
  const rows: Record<string, unknown>[] = [];
  for (const labelled of o.labelled) {
    for (const [arm, r] of Object.entries(results[labelled] ?? {})) {
      rows.push({ labelled, arm, meanDice: { ...ms(r.meanDice), values: r.meanDice }, anterior: { ...ms(r.anterior), values: r.anterior }, posterior: { ...ms(r.posterior), values: r.posterior }, secondsPerRun: Math.round(mean(r.seconds)), backend });
      log(`| ${labelled} | ${arm} | ${pm(r.meanDice)} | ${pm(r.anterior)} | ${pm(r.posterior)} | ${mean(r.seconds).toFixed(0)} |`);
    }
  }
  const pairs: [Arm, Arm][] = [['glmae', 'scratch'], ['glmae', 'mae'], ['mae', 'scratch'], ['glmae-predictor', 'glmae'], ['glmae-predictor', 'scratch']];
  const paired: Record<string, unknown>[] = [];
  log('');
  for (const labelled of o.labelled) {
    const res = results[labelled] ?? {};
    for (const [a, b] of pairs) {
      const ra = res[a];
      const rb = res[b];
      if (!ra || !rb) continue;
      const d = ra.meanDice.map((v, i) => v - rb.meanDice[i]!);
      paired.push({ labelled, difference: `${a} - ${b}`, ...ms(d), values: d, backend });
      log(`paired mean-Dice difference, ${labelled} labelled: ${a} - ${b} ${pm(d)} (per seed ${d.map((v) => v.toFixed(3)).join(', ')}) [${backend}]`);
    }
  }
  // Threaded wasm keeps worker threads alive after the work is done; let the process end once
  // bench/run.ts has printed the figures (it does so synchronously after this resolves).
  setTimeout(() => process.exit(0), 1000).unref();
  return {
    bench: 'glmae',
    backend,
    device: compute.device,
    data: 'hippocampus',
    setup: {
      data: 'MSD hippocampus MRI (real), fixed split bench/hippocampusSplit.ts 140/20/40 (fine-tuning leaves the 20 val volumes out: nothing is selected on them), volumes resampled to 32^3',
      labelledTrainingVolumes: o.labelled,
      seeds: o.seeds,
      arms: o.arms,
      pretrainEpochs: o.pretrainEpochs,
      fineTuneSteps: o.steps,
      fineTune: 'batch 1, Adam lr 2e-3 cosine, augment, epochs = round(steps / labelled), decoder width 8; tested after the last epoch',
      encoder: 'ViT 32^3, patch 8, embed 96, depth 4, heads 4',
      metric: 'test-split Dice per volume (argmax), mean over the 40 volumes; meanDice = mean of anterior and posterior',
      referenceSize: 'the paper pretrains a ViT-B (96^3, patch 16, embed 768, depth 12) for 1600 epochs on ~1k CT volumes on GPUs; at that size one CPU step takes minutes (bench glmae-reference), so this CPU benchmark uses a small ViT',
    },
    pretraining,
    dice: rows,
    paired,
    runsFolder: runs,
  };
};

export default bench;
