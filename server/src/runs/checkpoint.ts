/**
 * Checkpoints: everything a method needs to continue as if it had never stopped — its models
 * (LayersModel format), its optimisers' state (Adam moments and step count, via
 * optimizer.getWeights()), the position (epoch and step within the epoch) and any extra state.
 * Randomness derives from (seed, epoch, step), so the position is the RNG state.
 *
 * Layout: runDir/checkpoints/<e000003-s00000>/{model-<name>/, optimizer-<name>.{json,bin},
 * state.json}, written as one folder with an atomic rename, then `latest.json` (atomic) points to
 * it. The two newest are kept.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../data/atomicWrite';
import { writeDirAtomic } from './atomicDir';
import { loadWeightsInto, modelFiles } from './modelIo';

export interface CheckpointState {
  /** Epochs fully done (0-based index of the epoch to run next when step is 0). */
  epoch: number;
  /** Steps done within `epoch` (0 at an epoch boundary). */
  step: number;
  /** Method-specific state (stage, partial sums, cleaning round, ...), JSON-serialisable. */
  extra?: Record<string, unknown>;
}

/**
 * Adam keeps beta1^t and beta2^t as running products; setWeights recomputes them with pow(),
 * which differs in the last float32 bit, and a resumed run would drift from an uninterrupted one.
 * So the products themselves are saved and restored.
 */
type AdamPowers = { accBeta1?: tf.Variable; accBeta2?: tf.Variable };

function readAdamPowers(opt: tf.Optimizer): number[] | undefined {
  const a = opt as unknown as AdamPowers;
  if (!(a.accBeta1 instanceof tf.Variable) || !(a.accBeta2 instanceof tf.Variable)) return undefined;
  return [a.accBeta1.dataSync()[0]!, a.accBeta2.dataSync()[0]!];
}

function writeAdamPowers(opt: tf.Optimizer, powers: number[]): void {
  const a = opt as unknown as AdamPowers;
  if (!(a.accBeta1 instanceof tf.Variable) || !(a.accBeta2 instanceof tf.Variable)) return;
  tf.tidy(() => {
    a.accBeta1!.assign(tf.scalar(powers[0]!));
    a.accBeta2!.assign(tf.scalar(powers[1]!));
  });
}

export interface CheckpointParts {
  models: Record<string, tfl.LayersModel>;
  optimizers?: Record<string, tf.Optimizer>;
}

const KEEP = 2;

export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

function checkpointName(s: CheckpointState): string {
  return `e${String(s.epoch).padStart(6, '0')}-s${String(s.step).padStart(6, '0')}`;
}

/** The folder of the newest complete checkpoint, or undefined. */
export function latestCheckpoint(runDir: string): string | undefined {
  const dir = checkpointsDir(runDir);
  try {
    const { name } = JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8')) as { name: string };
    const d = path.join(dir, name);
    if (fs.existsSync(path.join(d, 'state.json'))) return d;
  } catch {
    /* no pointer: no checkpoint yet */
  }
  return undefined;
}

/** The state (epoch, step, extra) of the newest checkpoint, without loading any weights. */
export async function readCheckpointState(runDir: string): Promise<CheckpointState | undefined> {
  const dir = latestCheckpoint(runDir);
  if (!dir) return undefined;
  return JSON.parse(await fs.promises.readFile(path.join(dir, 'state.json'), 'utf8')) as CheckpointState;
}

/** Writes a checkpoint atomically and returns its folder. */
export async function saveCheckpoint(runDir: string, parts: CheckpointParts, state: CheckpointState): Promise<string> {
  const files: Record<string, string | Uint8Array> = {};
  for (const [name, model] of Object.entries(parts.models)) {
    for (const [f, data] of Object.entries(await modelFiles(model))) files[`model-${name}/${f}`] = data;
  }
  for (const [name, opt] of Object.entries(parts.optimizers ?? {})) {
    const weights = await opt.getWeights();
    const { data, specs } = await tf.io.encodeWeights(weights);
    tf.dispose(weights.map((w) => w.tensor).filter((t) => t.isDisposed === false && !(t instanceof tf.Variable)));
    files[`optimizer-${name}.json`] = JSON.stringify({ className: opt.getClassName(), specs, powers: readAdamPowers(opt) });
    files[`optimizer-${name}.bin`] = new Uint8Array(data);
  }
  files['state.json'] = JSON.stringify(state, null, 2);
  const name = checkpointName(state);
  const dir = path.join(checkpointsDir(runDir), name);
  await writeDirAtomic(dir, files);
  await writeFileAtomic(path.join(checkpointsDir(runDir), 'latest.json'), JSON.stringify({ name }));
  await prune(runDir, name);
  return dir;
}

async function prune(runDir: string, keepName: string): Promise<void> {
  const dir = checkpointsDir(runDir);
  const all = (await fs.promises.readdir(dir)).filter((n) => /^e\d{6}-s\d{6}$/.test(n)).sort();
  const old = all.filter((n) => n !== keepName).slice(0, Math.max(0, all.length - KEEP));
  for (const n of old) await fs.promises.rm(path.join(dir, n), { recursive: true, force: true });
}

/**
 * Restores the newest checkpoint into already built models and optimisers (same names as
 * saved) and returns its state; undefined when the run has no checkpoint.
 */
export async function loadCheckpoint(runDir: string, parts: CheckpointParts): Promise<CheckpointState | undefined> {
  const dir = latestCheckpoint(runDir);
  if (!dir) return undefined;
  for (const [name, model] of Object.entries(parts.models)) await loadWeightsInto(model, path.join(dir, `model-${name}`));
  for (const [name, opt] of Object.entries(parts.optimizers ?? {})) {
    const meta = JSON.parse(await fs.promises.readFile(path.join(dir, `optimizer-${name}.json`), 'utf8')) as {
      className: string;
      specs: tf.io.WeightsManifestEntry[];
      powers?: number[];
    };
    if (meta.className !== opt.getClassName()) {
      throw new Error(`checkpoint ${dir}: optimiser '${name}' was ${meta.className}, the experiment now uses ${opt.getClassName()}`);
    }
    const bytes = await fs.promises.readFile(path.join(dir, `optimizer-${name}.bin`));
    const map = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, meta.specs);
    // Optimisers match their slots by position, so keep the saved order.
    const ordered = meta.specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
    await opt.setWeights(ordered);
    if (meta.powers) writeAdamPowers(opt, meta.powers);
    tf.dispose(Object.values(map));
  }
  return JSON.parse(await fs.promises.readFile(path.join(dir, 'state.json'), 'utf8')) as CheckpointState;
}
