/**
 * GL-MAE pretraining on the hippocampus training volumes, shared by `bench glmae` (its init arms)
 * and `bench segment` (its vit-glmae arm), with a cache of finished pretraining runs outside git
 * (`$MEDSTUDIO_BENCH_CACHE`, default ~/.cache/medstudio-bench) keyed by variant, seed and the
 * whole pretraining config, so the two benchmarks (and reruns) pretrain each encoder once.
 * A cache entry counts only when its run finished (done.json is written last); a partial one is
 * removed and trained again. PRETRAIN_CODE_VERSION is part of the key: bump it when the GL-MAE
 * training code changes what a run produces, so old encoders are not reused.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runExperiment } from '../server/src/runs/runner';
import { HIPPOCAMPUS, hippocampusCases, writeHippocampusSplit } from './hippocampusSplit';

export const PRETRAIN_CODE_VERSION = 1;

/** glmae: the paper's losses; mae: reconstruction only (lambdas 0); glmae-predictor: with the BYOL-style student predictor (glmae.predictor). */
export type PretrainVariant = 'glmae' | 'mae' | 'glmae-predictor';
export const PRETRAIN_VARIANTS: readonly PretrainVariant[] = ['glmae', 'mae', 'glmae-predictor'];

/** The encoder every arm shares (the segmenters' model.* must match it for init). */
export const VIT_ENCODER = { backbone: 'vit3d', inputSize: 32, patchSize: 8, embedDim: 96, depth: 4, heads: 4 } as const;

export interface PretrainSpec {
  version: number;
  variant: PretrainVariant;
  seed: number;
  epochs: number;
  /** What the volumes and split are: names of the volumes with their split, hashed. */
  data: string;
  model: Record<string, number | string>;
  glmae: Record<string, number | boolean>;
  train: Record<string, number>;
}

export function pretrainSpec(variant: PretrainVariant, seed: number, epochs: number, data: string): PretrainSpec {
  const lambda = variant === 'mae' ? 0 : 1;
  return {
    version: PRETRAIN_CODE_VERSION,
    variant,
    seed,
    epochs,
    data,
    model: { ...VIT_ENCODER, decoderWidth: 64, decoderDepth: 2, projectionDim: 64 },
    glmae: { maskRatio: 0.75, localViews: 2, globalScale: 0.8, localSize: 16, volumeSize: 48, lambdaG2G: lambda, lambdaL2G: lambda, predictor: variant === 'glmae-predictor' },
    train: { batchSize: 2, lr: 0.001, weightDecay: 0.05 },
  };
}

/** JSON with object keys sorted at every level, so a key does not depend on property order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** Cache folder name: readable prefix plus a hash of the whole spec. */
export function pretrainKey(s: PretrainSpec): string {
  const hash = createHash('sha256').update(canonical(s)).digest('hex').slice(0, 12);
  return `${s.variant}-seed${s.seed}-e${s.epochs}-${hash}`;
}

/** The hippocampus volume names in sorted order with their fixed split, as one identity string's hash. */
export function hippocampusDataId(dataDir: string): string {
  const cases = hippocampusCases(dataDir);
  const h = createHash('sha256').update(cases.map((c) => `${c.name},${c.split}`).join('\n')).digest('hex').slice(0, 12);
  return `hippocampus:${cases.length}:${h}`;
}

export function pretrainYaml(s: PretrainSpec, images: string, splitFile: string): string {
  const flow = (o: Record<string, unknown>) => `{ ${Object.entries(o).map(([k, v]) => `${k}: ${String(v)}`).join(', ')} }`;
  return `name: bench glmae pretraining (${s.variant}, seed ${s.seed}, ${s.epochs} epochs)
method: glmae
data: { format: volumes, path: ${JSON.stringify(images)}, split: ${JSON.stringify(splitFile)} }
model: ${flow(s.model)}
glmae: ${flow(s.glmae)}
train: ${flow({ epochs: s.epochs, ...s.train, seed: s.seed, checkpointEvery: 1000 })}
`;
}

export const benchCacheRoot = (): string => process.env.MEDSTUDIO_BENCH_CACHE || path.join(os.homedir(), '.cache', 'medstudio-bench');

/** What a finished pretraining leaves in its cache entry (done.json). */
export interface PretrainOutcome {
  /** The run folder, for `init:`. */
  runDir: string;
  seconds: number;
  /** Final validation loss terms (loss, recGlobal, recLocal, g2g, l2g). */
  final: Record<string, number>;
  /** Per epoch: train and val loss terms. */
  history: { split: string; epoch: number; extra: Record<string, number> }[];
}

export interface Cached extends PretrainOutcome {
  key: string;
  cached: boolean;
}

/**
 * The finished pretraining run for `spec` from the cache under `root`, or, when there is none,
 * `train(entryDir)` run now and recorded there. A partial entry (no done.json, or its run folder
 * gone) is removed first.
 */
export async function cachedPretrain(root: string, spec: PretrainSpec, train: (entryDir: string) => Promise<PretrainOutcome>): Promise<Cached> {
  const key = pretrainKey(spec);
  const dir = path.join(root, 'glmae-pretrain', key);
  const done = path.join(dir, 'done.json');
  if (fs.existsSync(done)) {
    const o = JSON.parse(fs.readFileSync(done, 'utf8')) as PretrainOutcome & { spec: PretrainSpec };
    if (canonical(o.spec) === canonical(spec) && fs.existsSync(o.runDir)) return { ...o, key, cached: true };
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const out = await train(dir);
  fs.writeFileSync(done, JSON.stringify({ spec, ...out }, null, 1));
  return { ...out, key, cached: false };
}

/** The `variant` encoder pretrained on the hippocampus training split (labels unused) with `seed`, from the cache or trained now. */
export async function pretrainOnHippocampus(variant: PretrainVariant, seed: number, epochs: number, log: (line: string) => void): Promise<Cached> {
  const images = path.join(HIPPOCAMPUS, 'images');
  const spec = pretrainSpec(variant, seed, epochs, hippocampusDataId(HIPPOCAMPUS));
  const root = benchCacheRoot();
  const r = await cachedPretrain(root, spec, async (dir) => {
    log(`  pretraining ${variant}, seed ${seed}, ${epochs} epochs (cache ${dir})...`);
    const split = writeHippocampusSplit(HIPPOCAMPUS, path.join(dir, 'split.csv'));
    const file = path.join(dir, 'pretrain.medstudio.yaml');
    fs.writeFileSync(file, pretrainYaml(spec, images, split));
    const history: PretrainOutcome['history'] = [];
    const t0 = performance.now();
    const run = await runExperiment(file, {
      outDir: path.join(dir, 'runs'),
      onEvent: (ev) => {
        if (ev.kind === 'metrics') history.push({ split: ev.metrics.split, epoch: ev.metrics.epoch, extra: ev.metrics.extra ?? {} });
      },
    });
    if (!run.result?.test) throw new Error(`pretraining ${variant} seed ${seed} did not finish (${run.info.state}): see ${run.info.runDir}`);
    return { runDir: run.info.runDir, seconds: (performance.now() - t0) / 1000, final: run.result.test.extra ?? {}, history };
  });
  const terms = Object.entries(r.final).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ');
  log(`  pretrained ${variant} seed ${seed}: ${r.cached ? `from the cache (${r.key}, trained in ${r.seconds.toFixed(0)} s)` : `${r.seconds.toFixed(0)} s`}; final val ${terms}`);
  return r;
}
