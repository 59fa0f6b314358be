/**
 * Saving and loading a ParamStore's tensors in TensorFlow.js's weights-manifest format: a JSON
 * file (`format`, the network's config as `modelTopology`, `weightsManifest`) next to one binary
 * file, the same layout a LayersModel's model.json uses, so tf.io tooling can read the weights.
 * Writes are atomic (temp file + rename).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../data/atomicWrite';
import { ParamStore } from './vit3dParams';

export interface SavedParams<M> {
  format: string;
  modelTopology: M;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** Writes `<dir>/<base>.json` + `<dir>/<base>.weights.bin` with the parameters under `prefixes`. */
export async function saveParams<M>(dir: string, base: string, format: string, topology: M, tensors: [string, tf.Tensor][]): Promise<string> {
  const named = tensors.map(([name, tensor]) => ({ name, tensor }));
  const { data, specs } = await tf.io.encodeWeights(named);
  const bin = `${base}.weights.bin`;
  await writeFileAtomic(path.join(dir, bin), new Uint8Array(data));
  const json: SavedParams<M> = { format, modelTopology: topology, weightsManifest: [{ paths: [bin], weights: specs }] };
  const file = path.join(dir, `${base}.json`);
  await writeFileAtomic(file, JSON.stringify(json, null, 1));
  return file;
}

export function storeTensors(ps: ParamStore, prefixes: string[]): [string, tf.Tensor][] {
  return ps.entries().filter(([k]) => prefixes.some((p) => k.startsWith(p)));
}

/** Reads what saveParams wrote. The caller disposes the returned tensors. */
export function loadParams<M>(file: string, expectFormat: string): { topology: M; tensors: Map<string, tf.Tensor> } {
  if (!fs.existsSync(file)) throw new Error(`${file}: not found`);
  let json: SavedParams<M>;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8')) as SavedParams<M>;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (json.format !== expectFormat) throw new Error(`${file}: format is '${json.format}', expected '${expectFormat}'`);
  const group = json.weightsManifest?.[0];
  if (!group || group.paths.length !== 1) throw new Error(`${file}: weightsManifest must name exactly one weights file`);
  const binPath = path.join(path.dirname(file), group.paths[0]!);
  if (!fs.existsSync(binPath)) throw new Error(`${file}: its weights file ${group.paths[0]} is missing`);
  const buf = fs.readFileSync(binPath);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const map = tf.io.decodeWeights(ab, group.weights);
  return { topology: json.modelTopology, tensors: new Map(Object.entries(map)) };
}

/**
 * A network rebuilt from what saveParams wrote: `build` declares it on a fresh ParamStore, which
 * then takes every saved weight (shapes checked). The store is freed if anything fails; the
 * decoded tensors always are. `nameFile`: building or assigning errors start with the file.
 */
export function restoreParams<M, T>(file: string, format: string, seed: number, build: (topology: M, ps: ParamStore) => T, nameFile = false): { topology: M; ps: ParamStore; built: T } {
  const { topology, tensors } = loadParams<M>(file, format);
  const ps = new ParamStore(seed);
  try {
    const built = build(topology, ps);
    ps.assignFrom(tensors, { strict: true });
    return { topology, ps, built };
  } catch (e) {
    ps.dispose();
    throw nameFile ? new Error(`${file}: ${e instanceof Error ? e.message : String(e)}`) : e;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/**
 * The runs' checkpoints (runs/checkpoint.ts) store LayersModels and optimisers. A ParamStore is
 * neither; this adapter gives it the two methods checkpoints use on an optimiser (getWeights /
 * setWeights, matched by name here), so parameters, optimiser state and position land in one
 * atomic checkpoint folder and resume together.
 */
type NamedTensor = { name: string; tensor: tf.Tensor };

export function paramsCheckpointSlot(ps: ParamStore, className = 'MedStudioParams'): tf.Optimizer {
  const slot = {
    getClassName: () => className,
    getWeights: async (): Promise<NamedTensor[]> => ps.entries().map(([name, tensor]) => ({ name, tensor })),
    setWeights: async (list: NamedTensor[]): Promise<void> => {
      ps.assignFrom(new Map(list.map((w) => [w.name, w.tensor])), { strict: true });
    },
  };
  return slot as unknown as tf.Optimizer;
}
