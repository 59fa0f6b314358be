/**
 * k-NN evaluation of frozen features (no training): cosine similarity to the train features,
 * the k nearest vote with weight exp(sim / tau) (InstDisc/DINO's weighted k-NN; k=20, tau=0.07).
 */
import type { FeatureSet, ProbeResult } from './probe';
import { withAccuracy } from './probe';

export interface KnnOptions {
  k: number;
  tau: number;
}

export const defaultKnn: KnnOptions = { k: 20, tau: 0.07 };

export function knnProbe(train: FeatureSet, test: FeatureSet, numClasses: number, o: KnnOptions = defaultKnn): ProbeResult {
  if (train.dim !== test.dim) throw new Error(`train features are ${train.dim}-d, test features ${test.dim}-d`);
  const a = normaliseRows(train);
  const b = normaliseRows(test);
  const d = train.dim;
  const n = train.labels.length;
  const k = Math.min(o.k, n);
  const probs = new Float32Array(test.labels.length * numClasses);
  const sims = new Float32Array(n);
  const order = new Int32Array(n);
  for (let i = 0; i < test.labels.length; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += b[i * d + c]! * a[j * d + c]!;
      sims[j] = s;
      order[j] = j;
    }
    // Partial selection is not worth it at these sizes: sort indices by similarity.
    const top = Array.from(order).sort((x, y) => sims[y]! - sims[x]!).slice(0, k);
    let total = 0;
    for (const j of top) {
      const w = Math.exp(sims[j]! / o.tau);
      probs[i * numClasses + train.labels[j]!]! += w;
      total += w;
    }
    for (let c = 0; c < numClasses; c++) probs[i * numClasses + c]! /= total || 1;
  }
  return withAccuracy(probs, numClasses, test.labels);
}

function normaliseRows(s: FeatureSet): Float32Array {
  const out = new Float32Array(s.features.length);
  for (let i = 0; i < s.labels.length; i++) {
    let norm = 0;
    for (let c = 0; c < s.dim; c++) norm += s.features[i * s.dim + c]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let c = 0; c < s.dim; c++) out[i * s.dim + c] = s.features[i * s.dim + c]! / norm;
  }
  return out;
}
