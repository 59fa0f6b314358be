/**
 * `npm run bench -- glmae [--json] [--seeds 3] [--pretrain-epochs 15] [--epochs 50] [--labelled 4] [--threads 0]`
 *
 * The GL-MAE claim (ALGORITHMS.md) on samples/ct-nodules: fine-tuning 3D segmentation (UNETR-style
 * decoder, background/lung/nodule) from only `labelled` training volumes, starting from
 *   scratch      — a randomly initialised ViT encoder;
 *   glmae        — the encoder of a GL-MAE pretraining run on the unlabelled training volumes;
 *   glmae-recon  — the ablation: the same pretraining with lambda_g2g = lambda_l2g = 0
 *                  (masked reconstruction only, i.e. a plain 3D MAE).
 * Each arm is fine-tuned with several seeds (the seed also picks which volumes are labelled, the
 * same for every arm); figures are test-split Dice, mean ± sample standard deviation over seeds,
 * and the per-seed values. Everything goes through the real runners (runExperiment), so the
 * runs are ordinary run folders (kept in a temp folder, printed). Never fails on time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { runExperiment } from '../server/src/runs/runner';
import type { EvalMetrics } from '../server/src/protocol';

interface Options {
  seeds: number;
  pretrainEpochs: number;
  epochs: number;
  labelled: number;
  threads: number;
}

function parse(args: string[]): Options {
  const val = (k: string, d: number): number => {
    const i = args.indexOf(`--${k}`);
    const v = i >= 0 ? Number(args[i + 1]) : d;
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${k} needs a number, got '${args[i + 1]}'`);
    return v;
  };
  return { seeds: val('seeds', 3), pretrainEpochs: val('pretrain-epochs', 15), epochs: val('epochs', 50), labelled: val('labelled', 4), threads: val('threads', 0) };
}

const SAMPLES = path.join(__dirname, '..', 'samples', 'ct-nodules');
const MODEL = '{ backbone: vit3d, inputSize: 32, patchSize: 8, embedDim: 96, depth: 4, heads: 4, decoderWidth: 64, decoderDepth: 2, projectionDim: 64 }';

function glmaeYaml(o: Options, lambda: number): string {
  return `name: bench glmae (lambdas ${lambda})
method: glmae
data: { format: volumes, path: ${JSON.stringify(path.join(SAMPLES, 'volumes'))} }
model: ${MODEL}
glmae: { maskRatio: 0.75, localViews: 2, globalScale: 0.8, localSize: 16, volumeSize: 48, lambdaG2G: ${lambda}, lambdaL2G: ${lambda} }
train: { epochs: ${o.pretrainEpochs}, batchSize: 2, lr: 0.001, weightDecay: 0.05, seed: 1, checkpointEvery: 1000 }
`;
}

function segmentYaml(o: Options, seed: number, init?: string): string {
  return `name: bench segment (${init ? 'init' : 'scratch'}, seed ${seed})
method: segment
${init ? `init: ${JSON.stringify(init)}\n` : ''}data:
  format: volumes
  path: ${JSON.stringify(path.join(SAMPLES, 'volumes'))}
  labels: ${JSON.stringify(path.join(SAMPLES, 'labels'))}
  classes: [background, lung, nodule]
  labelled: ${o.labelled}
model: { backbone: vit3d, inputSize: 32, patchSize: 8, embedDim: 96, depth: 4, heads: 4, decoderWidth: 8 }
train: { epochs: ${o.epochs}, batchSize: 1, lr: 0.002, seed: ${seed}, augment: true, checkpointEvery: 1000 }
`;
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd, min: Math.min(...xs), max: Math.max(...xs), values: xs };
};

const bench: Bench = async ({ args, log }) => {
  const o = parse(args);
  const compute = await ensureBackend({ threads: o.threads });
  const backend = compute.backend;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-bench-glmae-'));
  const runs = path.join(work, 'runs');
  log(`glmae bench on ${backend} (${compute.device}); runs in ${runs}`);
  const train = async (name: string, yaml: string): Promise<{ runDir: string; test?: EvalMetrics; seconds: number }> => {
    const file = path.join(work, `${name}.medstudio.yaml`);
    fs.writeFileSync(file, yaml);
    const t0 = performance.now();
    const r = await runExperiment(file, { outDir: runs });
    const seconds = (performance.now() - t0) / 1000;
    log(`  ${name}: ${seconds.toFixed(0)} s, test ${JSON.stringify(r.result?.test?.extra ?? {})}`);
    return { runDir: r.info.runDir, test: r.result?.test, seconds };
  };

  log(`pretraining (${o.pretrainEpochs} epochs on the unlabelled training volumes)...`);
  const full = await train('pretrain-glmae', glmaeYaml(o, 1));
  const recon = await train('pretrain-recon-only', glmaeYaml(o, 0));

  const arms = { scratch: undefined, glmae: full.runDir, 'glmae-recon': recon.runDir } as const;
  const results: Record<string, { meanDice: number[]; lung: number[]; nodule: number[]; seconds: number[] }> = {};
  for (let seed = 1; seed <= o.seeds; seed++) {
    for (const [arm, init] of Object.entries(arms)) {
      const r = await train(`segment-${arm}-seed${seed}`, segmentYaml(o, seed, init));
      const x = r.test?.extra ?? {};
      const slot = (results[arm] ??= { meanDice: [], lung: [], nodule: [], seconds: [] });
      slot.meanDice.push(x.meanDice ?? NaN);
      slot.lung.push(x.dice_lung ?? NaN);
      slot.nodule.push(x.dice_nodule ?? NaN);
      slot.seconds.push(r.seconds);
    }
  }

  const figures: Record<string, unknown> = {
    backend,
    device: compute.device,
    setup: {
      data: 'samples/ct-nodules (48^3 CT, classes background/lung/nodule), volumes resampled to 32^3',
      labelledTrainingVolumes: o.labelled,
      seeds: o.seeds,
      pretrainEpochs: o.pretrainEpochs,
      fineTuneEpochs: o.epochs,
      encoder: 'ViT 32^3, patch 8, embed 96, depth 4, heads 4',
      metric: 'test-split Dice per volume (argmax), mean over volumes; meanDice = mean of lung and nodule',
    },
    pretraining: {
      glmae: { seconds: Math.round(full.seconds), finalVal: full.test?.extra, backend },
      reconOnly: { seconds: Math.round(recon.seconds), finalVal: recon.test?.extra, backend },
    },
  };
  log('');
  log(`test Dice after fine-tuning on ${o.labelled} labelled volumes, mean ± sd over ${o.seeds} seeds [${backend}]:`);
  log(`  ${'arm'.padEnd(12)} ${'meanDice'.padEnd(16)} ${'lung'.padEnd(16)} ${'nodule'.padEnd(16)}`);
  const f = (s: { mean: number; sd: number }) => `${s.mean.toFixed(3)} ± ${s.sd.toFixed(3)}`.padEnd(16);
  for (const [arm, r] of Object.entries(results)) {
    const row = { meanDice: stats(r.meanDice), lung: stats(r.lung), nodule: stats(r.nodule), secondsPerRun: Math.round(stats(r.seconds).mean), backend };
    figures[`dice_${arm}`] = row;
    log(`  ${arm.padEnd(12)} ${f(row.meanDice)} ${f(row.lung)} ${f(row.nodule)} [${backend}]`);
  }
  const paired = (a: string, b: string) => stats(results[a]!.meanDice.map((v, i) => v - results[b]!.meanDice[i]!));
  figures.pairedGain = { glmaeMinusScratch: { ...paired('glmae', 'scratch'), backend }, glmaeMinusReconOnly: { ...paired('glmae', 'glmae-recon'), backend } };
  log(`  paired meanDice gain glmae - scratch: ${f(paired('glmae', 'scratch'))}; glmae - recon-only: ${f(paired('glmae', 'glmae-recon'))} [${backend}]`);
  figures.runsFolder = runs;
  // Threaded wasm keeps worker threads alive after the work is done; let the process end once
  // bench/run.ts has printed the figures (it does so synchronously after this resolves).
  setTimeout(() => process.exit(0), 1000).unref();
  return figures;
};

export default bench;
