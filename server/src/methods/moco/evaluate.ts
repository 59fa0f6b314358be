/**
 * Evaluation of a frozen encoder: linear probe and k-NN on the test split (fitted on the train
 * split), per-class metrics, and the encoder's cost (parameters, inference time per image).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EvalMetrics } from '../../protocol';
import { linearProbe, type FeatureSet } from '../../eval/probe';
import { knnProbe } from '../../eval/probeKnn';
import { extractFeatures, measureCost, type CostRow } from '../../eval/probeFeatures';
import { classificationMetrics } from '../../metrics';
import { plainBatches } from './batches';
import type { ContrastiveData, ImageSplit } from './data';

export interface ProbeReport {
  test: EvalMetrics;
  knn: EvalMetrics;
  cost: CostRow[];
}

export async function features(encoder: tfl.LayersModel, split: ImageSplit, data: ContrastiveData, size: number): Promise<FeatureSet> {
  const f = await extractFeatures(encoder, plainBatches(split, data.shape, size, 64));
  return { features: f.features, dim: f.dim, labels: split.labels };
}

/** k-NN on `evalSplit` with train as the memory bank (the per-epoch validation signal). */
export async function knnMetrics(encoder: tfl.LayersModel, data: ContrastiveData, evalSplit: 'val' | 'test', size: number, epoch: number): Promise<EvalMetrics> {
  const train = await features(encoder, data.train, data, size);
  const other = await features(encoder, data[evalSplit], data, size);
  return classificationMetrics(knnProbe(train, other, data.classes.length).probabilities, other.labels, data.classes, evalSplit, epoch);
}

export async function probeReport(
  encoder: tfl.LayersModel,
  data: ContrastiveData,
  size: number,
  epoch: number,
  seed: number,
  others: { name: string; encoder: tfl.LayersModel; inputSize: number }[] = [],
): Promise<ProbeReport> {
  const train = await features(encoder, data.train, data, size);
  const test = await features(encoder, data.test, data, size);
  const C = data.classes.length;
  const linear = await linearProbe(train, test, C, { iterations: 300, lr: 0.05, weightDecay: 1e-4, seed });
  const knn = knnProbe(train, test, C);
  const cost = [await measureCost('encoder', encoder, size, data.shape.channels)];
  for (const o of others) cost.push(await measureCost(o.name, o.encoder, o.inputSize, data.shape.channels));
  const m = classificationMetrics(linear.probabilities, test.labels, data.classes, 'test', epoch);
  const knnM = classificationMetrics(knn.probabilities, test.labels, data.classes, 'test', epoch);
  const extra: Record<string, number> = {
    linearProbeAccuracy: linear.accuracy,
    knnAccuracy: knn.accuracy,
    knnBalancedAccuracy: knnM.balancedAccuracy ?? 0,
    params: cost[0]!.params,
    msPerImage: cost[0]!.msPerImage,
  };
  for (const c of cost.slice(1)) {
    extra[`${c.name}Params`] = c.params;
    extra[`${c.name}MsPerImage`] = c.msPerImage;
    extra[`paramShareOf${c.name[0]!.toUpperCase()}${c.name.slice(1)}`] = cost[0]!.params / c.params;
  }
  return { test: { ...m, extra }, knn: knnM, cost };
}
