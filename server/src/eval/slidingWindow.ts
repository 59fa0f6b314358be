/**
 * Sliding-window inference over a whole volume at its own resolution (nnU-Net, MONAI's
 * sliding_window_inference): overlapping patch-sized windows, evenly spaced so that neighbours
 * overlap by at least `overlap`, predicted `batchSize` at a time, each window's class
 * probabilities weighted by a Gaussian centred on the window (sigma = patch / 8) so that
 * window borders, which see less context, count less. Volumes smaller than the patch are
 * zero-padded and the padding cropped away. Memory: the probability map (volume x classes) plus
 * one batch of windows.
 */
import * as tf from '@tensorflow/tfjs-core';

export type Triple = [number, number, number];

export interface SlidingWindowOptions {
  patch: Triple;
  classes: number;
  /** Fraction of a window shared with its neighbour (default 0.5). */
  overlap?: number;
  batchSize?: number;
  /** Gaussian sigma as a fraction of the patch side (default 1/8); 0 = uniform weights. */
  sigmaScale?: number;
  signal?: AbortSignal;
  onProgress?(done: number, total: number): void;
}

/** Window start positions along one axis covering [0, size) with windows of `patch`. */
export function windowStarts(size: number, patch: number, overlap: number): number[] {
  if (size <= patch) return [0];
  const stride = Math.max(1, Math.floor(patch * (1 - overlap)));
  const n = Math.ceil((size - patch) / stride) + 1;
  const step = (size - patch) / (n - 1);
  return Array.from({ length: n }, (_, i) => Math.round(i * step));
}

export function gaussianWeights(patch: Triple, sigmaScale: number): Float32Array {
  const [pd, ph, pw] = patch;
  const w = new Float32Array(pd * ph * pw);
  const axis = (p: number) =>
    Array.from({ length: p }, (_, i) => (sigmaScale > 0 ? Math.exp(-(((i - (p - 1) / 2) / (p * sigmaScale)) ** 2) / 2) : 1));
  const [gz, gy, gx] = [axis(pd), axis(ph), axis(pw)];
  let max = 0;
  for (let z = 0; z < pd; z++) for (let y = 0; y < ph; y++) for (let x = 0; x < pw; x++) max = Math.max(max, (w[(z * ph + y) * pw + x] = gz[z]! * gy[y]! * gx[x]!));
  // Normalised to max 1, with a floor so that no voxel gets weight 0 (nnU-Net does the same).
  let minPos = Infinity;
  for (let i = 0; i < w.length; i++) minPos = Math.min(minPos, (w[i] = w[i]! / max) || Infinity);
  for (let i = 0; i < w.length; i++) if (w[i] === 0) w[i] = minPos;
  return w;
}

/**
 * Class probabilities [D*H*W*K] (channels last) of `image` [D, H, W] (one channel).
 * `predict` maps a batch [B, pd, ph, pw, 1] to probabilities [B, pd, ph, pw, K]; it owns
 * nothing it is given, and the tensor it returns is disposed here.
 */
export async function slidingWindow(image: Float32Array, shape: Triple, predict: (x: tf.Tensor5D) => tf.Tensor5D, o: SlidingWindowOptions): Promise<Float32Array> {
  const [D, H, W] = shape;
  const [pd, ph, pw] = o.patch;
  const K = o.classes;
  const overlap = o.overlap ?? 0.5;
  const B = Math.max(1, o.batchSize ?? 1);
  const weights = gaussianWeights(o.patch, o.sigmaScale ?? 1 / 8);
  const [zs, ys, xs] = [windowStarts(D, pd, overlap), windowStarts(H, ph, overlap), windowStarts(W, pw, overlap)];
  const windows: Triple[] = [];
  for (const z of zs) for (const y of ys) for (const x of xs) windows.push([z, y, x]);
  const probs = new Float32Array(D * H * W * K);
  const norm = new Float32Array(D * H * W);
  const pv = pd * ph * pw;
  for (let start = 0; start < windows.length; start += B) {
    if (o.signal?.aborted) throw new Error('sliding-window inference cancelled');
    const group = windows.slice(start, start + B);
    const batch = new Float32Array(group.length * pv);
    group.forEach(([oz, oy, ox], k) => {
      for (let z = 0; z < pd && oz + z < D; z++)
        for (let y = 0; y < ph && oy + y < H; y++) {
          const from = ((oz + z) * H + oy + y) * W + ox;
          const n = Math.min(pw, W - ox);
          batch.set(image.subarray(from, from + n), k * pv + (z * ph + y) * pw);
        }
    });
    const x = tf.tensor5d(batch, [group.length, pd, ph, pw, 1]);
    const out = predict(x);
    x.dispose();
    const p = await out.data();
    out.dispose();
    group.forEach(([oz, oy, ox], k) => {
      for (let z = 0; z < pd && oz + z < D; z++)
        for (let y = 0; y < ph && oy + y < H; y++)
          for (let xx = 0; xx < pw && ox + xx < W; xx++) {
            const pi = (z * ph + y) * pw + xx;
            const vi = ((oz + z) * H + oy + y) * W + ox + xx;
            const w = weights[pi]!;
            norm[vi]! += w;
            const src = (k * pv + pi) * K;
            for (let c = 0; c < K; c++) probs[vi * K + c]! += w * p[src + c]!;
          }
    });
    o.onProgress?.(Math.min(start + B, windows.length), windows.length);
  }
  for (let v = 0; v < norm.length; v++) for (let c = 0; c < K; c++) probs[v * K + c]! /= norm[v]!;
  return probs;
}

/** Softmax probabilities averaged over mirrorings along the given axes (1 = D, 2 = H, 3 = W): test-time augmentation. */
export function mirroredPredict(logits: (x: tf.Tensor5D) => tf.Tensor5D, axes: number[]): (x: tf.Tensor5D) => tf.Tensor5D {
  const combos: number[][] = [[]];
  for (const a of axes) combos.push(...combos.map((c) => [...c, a]));
  return (x) =>
    tf.tidy(() => {
      let sum: tf.Tensor5D | undefined;
      for (const flip of combos) {
        const xin = flip.length ? tf.reverse(x, flip) : x;
        let p = tf.softmax(logits(xin as tf.Tensor5D)) as tf.Tensor5D;
        if (flip.length) p = tf.reverse(p, flip);
        sum = sum ? (tf.add(sum, p) as tf.Tensor5D) : p;
      }
      return tf.div(sum!, combos.length) as tf.Tensor5D;
    });
}
