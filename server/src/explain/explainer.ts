/**
 * Explanations of one image by one trained run, as the server and the CLI ask for them: load (and
 * cache) the run's model, read and preprocess the image, run Grad-CAM / top kernels / kernel
 * interpretation, and map results back to the image's voxel grid. Every tensor made here is
 * disposed before the call returns.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerInfo } from '../protocol';
import { gradCam, type CamMethod } from './gradcam';
import { readExplainImage, type ExplainImage } from './image';
import { weightsForConvolution, type KernelWeights, type L1Anchor } from './kernelLoss';
import { interpretKernel, type KernelSchedule, type KernelStep, type KernelStop } from './kernelInterpret';
import { channelsOf, convolutionIndex, defaultLayer, listLayers, resolveLayer } from './layers';
import { ModelCache, type Lease } from './modelCache';
import { imageGrid, toImageGrid, toModelInput } from './preprocess';
import { resizeSpatial } from './resize';
import type { RunModel } from './runModel';
import { topKernels, type KernelActivity } from './topKernels';

export interface Target {
  runDir: string;
  imagePath: string;
  layer?: string;
}

export interface Heatmap {
  /** Heat in [0, 1] on the image's voxel grid, x fastest. */
  heatmap: Float32Array;
  /** x, y[, z]. */
  dims: number[];
  /** The same heat on the model's input grid (x fastest), before the last resampling. */
  inputHeatmap: Float32Array;
  classIndex: number;
  className: string;
  probabilities: number[];
  classes: string[];
  layer: string;
  method: CamMethod;
  image: ExplainImage;
}

export interface KernelOutcome {
  /** The optimised x' on the model input grid: x fastest, `channels` interleaved. */
  image: Float32Array;
  /** x, y[, z] of the model input grid. */
  dims: number[];
  channels: number;
  steps: number;
  lSel: number;
  lRest: number;
  stopped: KernelStop;
  layer: string;
  kernel: number;
  /** The layer's convolution index (1 = the first), which chose the default weights. */
  convolution: number;
  weights: KernelWeights;
  /** What the L1 term pulled x' toward. */
  anchor: L1Anchor;
  /** The image that was explained. */
  source: ExplainImage;
}

export interface KernelRequest extends Target {
  kernel: number;
  maxSteps?: number;
  maxSeconds?: number;
  /** Stream x' every this many steps (default 5). */
  streamEvery?: number;
  /** Overrides of the defaults for the layer's convolution index. */
  weights?: Partial<KernelWeights>;
  schedule?: Partial<KernelSchedule>;
}

export interface KernelHooks {
  /** Every `streamEvery` steps and after the last one, with x' (model input grid). */
  onProgress?: (p: KernelStep & { image: Float32Array; dims: number[]; channels: number; maxSteps: number }) => void;
  isCancelled?: () => boolean;
}

/** tensor axis order [h, w] / [d, h, w] -> x, y[, z]. */
const xyz = (grid: number[]): number[] => [...grid].reverse();

export class Explainer {
  constructor(private readonly cache = new ModelCache(2)) {}

  private async withRun<T>(runDir: string, fn: (run: RunModel) => Promise<T> | T): Promise<T> {
    const lease: Lease = await this.cache.acquire(runDir);
    try {
      return await fn(lease.run);
    } finally {
      lease.release();
    }
  }

  async layers(runDir: string): Promise<{ layers: LayerInfo[]; defaultLayer: string; classes: string[] }> {
    return this.withRun(runDir, (run) => ({ layers: listLayers(run.model), defaultLayer: run.featureLayer ?? defaultLayer(run.model), classes: run.classes }));
  }

  async gradCam(t: Target & { classIndex?: number; method?: CamMethod }): Promise<Heatmap> {
    const image = await readExplainImage(t.imagePath);
    return this.withRun(t.runDir, async (run) => {
      const layer = resolveLayer(run.model, t.layer ?? run.featureLayer).name;
      const method = t.method ?? 'gradcam';
      const x = toModelInput(image, run);
      try {
        const r = await gradCam(run.model, x, layer, method, t.classIndex, run.logitsLayer);
        try {
          const onInput = tf.tidy(() => resizeSpatial(r.cam, run.inputSpatial));
          try {
            const inputHeatmap = new Float32Array(await onInput.data());
            return {
              heatmap: toImageGrid(inputHeatmap, run.inputSpatial, image, run.spatialDims),
              dims: xyz(imageGrid(image, run.spatialDims)),
              inputHeatmap,
              classIndex: r.classIndex,
              className: run.classes[r.classIndex] ?? `class ${r.classIndex}`,
              probabilities: r.probabilities,
              classes: run.classes,
              layer,
              method,
              image,
            };
          } finally {
            onInput.dispose();
          }
        } finally {
          r.cam.dispose();
        }
      } finally {
        x.dispose();
      }
    });
  }

  async topKernels(t: Target & { count?: number }): Promise<{ layer: string; kernels: KernelActivity[] }> {
    const image = await readExplainImage(t.imagePath);
    return this.withRun(t.runDir, async (run) => {
      const layer = resolveLayer(run.model, t.layer ?? run.featureLayer).name;
      const x = toModelInput(image, run);
      try {
        return { layer, kernels: await topKernels(run.model, x, layer, t.count ?? 8) };
      } finally {
        x.dispose();
      }
    });
  }

  async interpretKernel(req: KernelRequest, hooks: KernelHooks = {}): Promise<KernelOutcome> {
    // Its optimisation loop reads every step's loss terms synchronously, which a GPU backend in
    // Node cannot do: refuse plainly rather than fail inside tfjs.
    if (tf.getBackend() === 'webgpu') throw new Error('kernel interpretation does not run on the webgpu backend yet (it reads each step synchronously): run it with --backend wasm (setting medstudio.compute.backend)');
    const image = await readExplainImage(req.imagePath);
    return this.withRun(req.runDir, async (run) => {
      const layer = resolveLayer(run.model, req.layer ?? run.featureLayer);
      if (!Number.isInteger(req.kernel) || req.kernel < 0 || req.kernel >= channelsOf(layer)) {
        throw new Error(`kernel ${req.kernel} is out of range: layer '${layer.name}' has ${channelsOf(layer)} kernels`);
      }
      const convolution = convolutionIndex(run.model, layer.name);
      const weights = { ...weightsForConvolution(convolution), ...(req.weights ?? {}) };
      const schedule: Partial<KernelSchedule> = { ...(req.schedule ?? {}) };
      if (req.maxSteps !== undefined) schedule.maxSteps = req.maxSteps;
      if (req.maxSeconds !== undefined) schedule.maxSeconds = req.maxSeconds;
      const maxSteps = schedule.maxSteps ?? 300;
      const every = Math.max(1, Math.floor(req.streamEvery ?? 5));
      const dims = xyz(run.inputSpatial);
      const x = toModelInput(image, run);
      try {
        const anchor = l1Anchor(run.inputMean, x);
        const r = await interpretKernel(run.model, x, {
          layer: layer.name,
          kernel: req.kernel,
          weights,
          mean: anchor.mean,
          schedule,
          isCancelled: hooks.isCancelled,
          onStep: (s, read) => {
            if (s.step % every === 0) hooks.onProgress?.({ ...s, image: read(), dims, channels: run.channels, maxSteps });
          },
        });
        try {
          const out = new Float32Array(r.image.dataSync());
          // The last image always reaches the stream, whatever stopped the loop.
          hooks.onProgress?.({ step: r.steps, loss: NaN, lSel: r.lSel, lRest: r.lRest, lr: NaN, image: out, dims, channels: run.channels, maxSteps });
          return { image: out, dims, channels: run.channels, steps: r.steps, lSel: r.lSel, lRest: r.lRest, stopped: r.stopped, layer: layer.name, kernel: req.kernel, convolution, weights, anchor, source: image };
        } finally {
          r.image.dispose();
        }
      } finally {
        x.dispose();
      }
    });
  }

  /** Disposes every cached model. */
  dispose(): void {
    this.cache.clear();
  }
}

/** The training inputs' mean saved with the model, else (older runs, models from elsewhere) the image's own, per channel. */
function l1Anchor(saved: number[] | undefined, x: tf.Tensor): L1Anchor {
  const channels = x.shape[x.shape.length - 1]!;
  if (saved && saved.length === channels) return { mean: saved, source: 'training data' };
  const mean = tf.tidy(() => Array.from(tf.mean(tf.reshape(x, [-1, channels]), 0).dataSync()));
  return { mean, source: 'this image' };
}
