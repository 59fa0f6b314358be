/**
 * CARE's training batches: seeded (class-balanced when asked), with the box masks of stage 2 made
 * into the attention loss's inner and outer masks for the rare-class images that have a box.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ClassificationBatch, ClassificationBatchOptions } from '../../data/datasets';
import type { Experiment } from '../../experiment/types';
import { regionMasks } from '../../losses';
import { deriveSeed } from '../../transforms/rng';
import type { AttentionBatch, StepInput } from './step';

export interface CareBatchPlan {
  phaseIndex: number;
  attention: boolean;
  rare: ReadonlySet<number>;
  excluded: ReadonlySet<string>;
  samplerWeights?: number[];
  lossWeights?: number[];
}

export function batchOptions(exp: Experiment, p: CareBatchPlan, epoch: number): ClassificationBatchOptions {
  const t = exp.train;
  return {
    batchSize: t.batchSize,
    shuffle: true,
    seed: deriveSeed(t.seed, p.phaseIndex + 1),
    epoch,
    augment: t.augment,
    ...(p.attention ? { boxMask: true } : {}),
    ...(p.samplerWeights ? { weights: p.samplerWeights } : {}),
  };
}

async function attentionBatch(exp: Experiment, b: ClassificationBatch, size: number, p: CareBatchPlan): Promise<AttentionBatch | undefined> {
  if (!b.mask || !b.hasBox) return undefined;
  const c = exp.care;
  const n = b.samples.length;
  const md = await b.mask.data();
  const inner = new Float32Array(n * size * size);
  const outer = new Float32Array(n * size * size);
  const take = new Float32Array(n);
  b.samples.forEach((s, i) => {
    if (!p.rare.has(s.label) || !b.hasBox![i] || p.excluded.has(s.id)) return;
    const m = regionMasks(md.subarray(i * size * size, (i + 1) * size * size) as Float32Array, size, c.outerStart, c.outerDelta);
    if (!m.inner.some((v) => v > 0)) return; // the box left the image under augmentation
    inner.set(m.inner, i * size * size);
    outer.set(m.outer, i * size * size);
    take[i] = 1;
  });
  if (!take.some((v) => v > 0)) return undefined;
  return { inner: tf.tensor3d(inner, [n, size, size]), outer: tf.tensor3d(outer, [n, size, size]), take: tf.tensor1d(take), threshold: c.threshold };
}

/** A dataset batch as the step's input (the caller disposes it with disposeInput). */
export async function stepInput(exp: Experiment, b: ClassificationBatch, size: number, p: CareBatchPlan): Promise<StepInput> {
  const input: StepInput = { x: b.x as tf.Tensor4D, y: b.y };
  if (p.lossWeights || p.excluded.size) input.itemWeights = tf.tensor1d(b.samples.map((s) => (p.excluded.has(s.id) ? 0 : (p.lossWeights?.[s.label] ?? 1))));
  if (p.attention) {
    input.alpha = exp.care.alpha;
    const a = await attentionBatch(exp, b, size, p);
    if (a) input.attention = a;
  }
  b.mask?.dispose();
  return input;
}

export function disposeInput(i: StepInput): void {
  tf.dispose([i.x, i.y, i.itemWeights, i.attention?.inner, i.attention?.outer, i.attention?.take].filter((t) => t !== undefined) as tf.Tensor[]);
}
