/**
 * Models on disk in TensorFlow.js LayersModel format (`model.json` + `weights.bin`), the format
 * `tf.loadLayersModel` and the tfjs converter understand. A custom IOHandler does the file work
 * because tfjs-node's `file://` handler is not available on every backend, and because the pair
 * must be written atomically (writeDirAtomic).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveAtomicDir, writeDirAtomic } from './atomicDir';

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (!data) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

/** The two files of a model in LayersModel format, as bytes (nothing is written). */
export function modelFilesFromArtifacts(artifacts: tf.io.ModelArtifacts): Record<string, string | Uint8Array> {
  if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error('binary model topologies are not supported');
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology ?? {},
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata } : {}),
  };
  return { [MODEL_JSON]: JSON.stringify(modelJson), [WEIGHTS_BIN]: new Uint8Array(joinWeightData(artifacts.weightData)) };
}

/** Serialises a model to its LayersModel files in memory (for checkpoints that hold several). */
export async function modelFiles(model: tfl.LayersModel, metadata?: Record<string, unknown>): Promise<Record<string, string | Uint8Array>> {
  let files: Record<string, string | Uint8Array> | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      files = modelFilesFromArtifacts(metadata ? { ...a, userDefinedMetadata: { ...(a.userDefinedMetadata ?? {}), ...metadata } as NonNullable<tf.io.ModelArtifacts['userDefinedMetadata']> } : a);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!files) throw new Error('model.save produced no artifacts');
  return files;
}

/** An IOHandler that saves to / loads from a folder on disk (atomically on save). */
export function dirHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const files = modelFilesFromArtifacts(artifacts);
      await writeDirAtomic(dir, files);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: (files[WEIGHTS_BIN] as Uint8Array).byteLength } };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const d = resolveAtomicDir(dir);
      const jsonPath = path.join(d, MODEL_JSON);
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(await fs.promises.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new Error(`cannot read model ${jsonPath}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of modelJson.weightsManifest ?? []) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const bytes = await fs.promises.readFile(path.join(d, p));
          buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
        }
      }
      return {
        modelTopology: modelJson.modelTopology,
        format: modelJson.format,
        generatedBy: modelJson.generatedBy,
        convertedBy: modelJson.convertedBy,
        userDefinedMetadata: modelJson.userDefinedMetadata,
        weightSpecs: specs,
        weightData: tf.io.concatenateArrayBuffers(buffers),
      };
    },
  };
}

/** Saves a model atomically as `dir/model.json` + `dir/weights.bin`. */
export async function saveModel(dir: string, model: tfl.LayersModel, metadata?: Record<string, unknown>): Promise<void> {
  await writeDirAtomic(dir, await modelFiles(model, metadata));
}

/** Loads a LayersModel saved by saveModel (or by any tfjs tool in the same format). */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(dirHandler(dir));
}

/** The `userDefinedMetadata` of a saved model (class names, input size, ...), without loading weights. */
export async function readModelMetadata(dir: string): Promise<Record<string, unknown>> {
  const jsonPath = path.join(resolveAtomicDir(dir), MODEL_JSON);
  const j = JSON.parse(await fs.promises.readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
  return (j.userDefinedMetadata as Record<string, unknown> | undefined) ?? {};
}

/**
 * Copies the weights saved in `dir` into an already built model, matched by weight name
 * (`layer/kernel`). Used on resume: the model is rebuilt from the experiment, so its optimiser
 * variables keep the same order as in the run that wrote the checkpoint.
 */
export async function loadWeightsInto(model: tfl.LayersModel, dir: string): Promise<void> {
  const artifacts = await dirHandler(dir).load!();
  const named = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  try {
    const missing: string[] = [];
    const values: tf.Tensor[] = [];
    for (const w of model.weights) {
      const t = named[w.originalName];
      if (!t) missing.push(w.originalName);
      else values.push(t);
    }
    if (missing.length) throw new Error(`model in ${dir} lacks weights ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`);
    model.setWeights(values);
  } finally {
    tf.dispose(Object.values(named));
  }
}
