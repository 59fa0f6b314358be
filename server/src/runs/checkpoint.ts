/**
 * Checkpoints: everything a method needs to continue as if it had never stopped — its models
 * (LayersModel format), its optimisers' state (Adam moments and step count, via
 * optimizer.getWeights()), the position (epoch and step within the epoch) and any extra state.
 * Randomness derives from (seed, epoch, step), so the position is the RNG state.
 *
 * Layout: runDir/checkpoints/<e000003-s00000>/{model-<name>/, optimizer-<name>.{json,bin},
 * state.json, manifest.json}, written as one folder with an atomic rename, then `latest.json`
 * (atomic) points to it. The two newest are kept. manifest.json holds every file's size and
 * SHA-256, so a damaged checkpoint is recognised (and the older one used, saying so) instead of
 * failing later with a tensor-shape error; a missing latest.json falls back to the newest intact
 * folder.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { readScalars } from '../engine/tensorReads';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TEMP_NAME, writeFileAtomic } from '../data/atomicWrite';
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

async function readAdamPowers(opt: tf.Optimizer): Promise<number[] | undefined> {
  const a = opt as unknown as AdamPowers;
  if (!(a.accBeta1 instanceof tf.Variable) || !(a.accBeta2 instanceof tf.Variable)) return undefined;
  return (await readScalars(a.accBeta1, a.accBeta2)) as number[];
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

const CHECKPOINT_NAME = /^e\d{6}-s\d{6}$/;
const MANIFEST = 'manifest.json';

type Manifest = Record<string, { bytes: number; sha256: string }>;

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Why a checkpoint folder cannot be used (naming the file), or undefined when it is intact. */
export function checkpointProblem(dir: string): string | undefined {
  const state = path.join(dir, 'state.json');
  try {
    JSON.parse(fs.readFileSync(state, 'utf8'));
  } catch (e) {
    return `${state}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `unreadable (${(e as Error).message})`}`;
  }
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch (e) {
    // Checkpoints written before manifests existed are trusted as far as state.json goes.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return `${path.join(dir, MANIFEST)}: unreadable (${(e as Error).message})`;
  }
  for (const [name, want] of Object.entries(manifest)) {
    const f = path.join(dir, name);
    let data: Buffer;
    try {
      data = fs.readFileSync(f);
    } catch {
      return `${f}: missing`;
    }
    if (data.length !== want.bytes) return `${f}: ${data.length} bytes, the checkpoint wrote ${want.bytes}`;
    if (sha256(data) !== want.sha256) return `${f}: its contents changed since the checkpoint was written (checksum mismatch)`;
  }
  return undefined;
}

export interface CheckpointChoice {
  /** Intact checkpoint folders, the one to use first. */
  dirs: string[];
  /** What was skipped and why (a missing latest.json, a damaged newest checkpoint), for the run's log. */
  notes: string[];
}

/**
 * The run's intact checkpoints, best first: the one latest.json names, then the others newest
 * first. Damaged ones are left out and said so in `notes`.
 */
export function findCheckpoints(runDir: string): CheckpointChoice {
  const dir = checkpointsDir(runDir);
  const notes: string[] = [];
  let names: string[] = [];
  try {
    names = fs.readdirSync(dir).filter((n) => CHECKPOINT_NAME.test(n)).sort().reverse();
  } catch {
    return { dirs: [], notes };
  }
  let pointed: string | undefined;
  const pointer = path.join(dir, 'latest.json');
  try {
    pointed = (JSON.parse(fs.readFileSync(pointer, 'utf8')) as { name?: unknown }).name as string | undefined;
    if (typeof pointed !== 'string' || !names.includes(pointed)) {
      if (names.length) notes.push(`${pointer} names a checkpoint that is not there (${JSON.stringify(pointed)}); using the newest intact one`);
      pointed = undefined;
    }
  } catch (e) {
    if (names.length) notes.push(`${pointer} is ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable'}; using the newest intact checkpoint`);
  }
  const order = pointed ? [pointed, ...names.filter((n) => n !== pointed)] : names;
  const dirs: string[] = [];
  for (const n of order) {
    const d = path.join(dir, n);
    const problem = checkpointProblem(d);
    if (problem) notes.push(`checkpoint ${n} is damaged (${problem}); skipped`);
    else dirs.push(d);
  }
  if (dirs.length && (notes.length || dirs[0] !== path.join(dir, order[0]!))) notes.push(`resuming from checkpoint ${path.basename(dirs[0]!)}`);
  return { dirs, notes };
}

/** The folder of the newest intact checkpoint, or undefined. */
export function latestCheckpoint(runDir: string): string | undefined {
  return findCheckpoints(runDir).dirs[0];
}

/** The state (epoch, step, extra) of the newest intact checkpoint, without loading any weights. */
export async function readCheckpointState(runDir: string): Promise<CheckpointState | undefined> {
  const dir = latestCheckpoint(runDir);
  if (!dir) return undefined;
  return JSON.parse(await fs.promises.readFile(path.join(dir, 'state.json'), 'utf8')) as CheckpointState;
}

/**
 * Removes what interrupted writes left in the run (temp checkpoint folders, temp files): only
 * called by the process holding the run's lock, so nobody is writing them.
 */
export async function cleanInterruptedWrites(runDir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const d of [runDir, checkpointsDir(runDir)]) {
    let names: string[] = [];
    try {
      names = await fs.promises.readdir(d);
    } catch {
      continue;
    }
    for (const n of names.filter((x) => TEMP_NAME.test(x))) {
      await fs.promises.rm(path.join(d, n), { recursive: true, force: true });
      removed.push(path.join(d, n));
    }
  }
  return removed;
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
    files[`optimizer-${name}.json`] = JSON.stringify({ className: opt.getClassName(), specs, powers: await readAdamPowers(opt) });
    files[`optimizer-${name}.bin`] = new Uint8Array(data);
  }
  files['state.json'] = JSON.stringify(state, null, 2);
  const manifest: Manifest = {};
  for (const [f, data] of Object.entries(files)) manifest[f] = { bytes: typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength, sha256: sha256(data) };
  files[MANIFEST] = JSON.stringify(manifest, null, 2);
  const name = checkpointName(state);
  const dir = path.join(checkpointsDir(runDir), name);
  await writeDirAtomic(dir, files);
  await writeFileAtomic(path.join(checkpointsDir(runDir), 'latest.json'), JSON.stringify({ name }));
  await prune(runDir, name);
  return dir;
}

async function prune(runDir: string, keepName: string): Promise<void> {
  const dir = checkpointsDir(runDir);
  const all = (await fs.promises.readdir(dir)).filter((n) => CHECKPOINT_NAME.test(n)).sort();
  const old = all.filter((n) => n !== keepName).slice(0, Math.max(0, all.length - KEEP));
  for (const n of old) await fs.promises.rm(path.join(dir, n), { recursive: true, force: true });
}

/** Restores one checkpoint folder; errors name the folder and the file. */
async function restore(dir: string, parts: CheckpointParts): Promise<CheckpointState> {
  for (const [name, model] of Object.entries(parts.models)) {
    try {
      await loadWeightsInto(model, path.join(dir, `model-${name}`));
    } catch (e) {
      throw new Error(`${path.join(dir, `model-${name}`)}: ${(e as Error).message}`);
    }
  }
  for (const [name, opt] of Object.entries(parts.optimizers ?? {})) {
    const metaFile = path.join(dir, `optimizer-${name}.json`);
    const meta = JSON.parse(await fs.promises.readFile(metaFile, 'utf8')) as {
      className: string;
      specs: tf.io.WeightsManifestEntry[];
      powers?: number[];
    };
    if (meta.className !== opt.getClassName()) {
      throw new Error(`checkpoint ${dir}: optimiser '${name}' was ${meta.className}, the experiment now uses ${opt.getClassName()}`);
    }
    const binFile = path.join(dir, `optimizer-${name}.bin`);
    try {
      const bytes = await fs.promises.readFile(binFile);
      const map = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, meta.specs);
      // Optimisers match their slots by position, so keep the saved order.
      const ordered = meta.specs.map((s) => ({ name: s.name, tensor: map[s.name]! }));
      await opt.setWeights(ordered);
      if (meta.powers) writeAdamPowers(opt, meta.powers);
      tf.dispose(Object.values(map));
    } catch (e) {
      throw new Error(`${binFile}: ${(e as Error).message}`);
    }
  }
  return JSON.parse(await fs.promises.readFile(path.join(dir, 'state.json'), 'utf8')) as CheckpointState;
}

export interface LoadedCheckpoint extends CheckpointState {
  /** The folder restored. */
  dir: string;
  /** Checkpoints skipped on the way (damaged, or failing to load), for the run's log. */
  notes: string[];
}

/**
 * Restores the newest intact checkpoint into already built models and optimisers (same names as
 * saved) and returns its state; one that fails to load is reported and the next older one is
 * tried. Undefined when the run has no checkpoint; throws (naming every file) when none loads.
 */
export async function restoreCheckpoint(runDir: string, parts: CheckpointParts): Promise<LoadedCheckpoint | undefined> {
  const { dirs } = findCheckpoints(runDir);
  const notes: string[] = [];
  for (const dir of dirs) {
    try {
      const state = await restore(dir, parts);
      if (notes.length) notes.push(`resumed from the older checkpoint ${path.basename(dir)}`);
      return { ...state, dir, notes };
    } catch (e) {
      notes.push(`checkpoint ${path.basename(dir)} could not be loaded (${(e as Error).message})`);
    }
  }
  if (notes.length) throw new Error(`no checkpoint of ${runDir} could be loaded: ${notes.join('; ')}`);
  return undefined;
}

/** restoreCheckpoint, returning only the state (epoch, step, extra). */
export async function loadCheckpoint(runDir: string, parts: CheckpointParts): Promise<CheckpointState | undefined> {
  const loaded = await restoreCheckpoint(runDir, parts);
  if (!loaded) return undefined;
  const { dir: _dir, notes: _notes, ...state } = loaded;
  return state;
}
