/**
 * Sliding-window inference over a whole volume at its own resolution (nnU-Net, MONAI's
 * sliding_window_inference): overlapping patch-sized windows, evenly spaced so that neighbours
 * overlap by at least `overlap`, predicted `batchSize` at a time, each window's class
 * probabilities weighted by a Gaussian centred on the window (sigma = patch / 8) so that
 * window borders, which see less context, count less. Volumes smaller than the patch are
 * zero-padded and the padding cropped away. Memory: the probability map (volume x classes) plus
 * one batch of windows (slidingWindow), or only a window-deep slab of it (slidingWindowRows,
 * slidingWindowLabels).
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

/** Finished rows [z0, z1) of the volume: their class probabilities, (z1 - z0) * H * W * K, channels last. */
export type RowsDone = (z0: number, z1: number, probs: Float32Array) => void;

/**
 * The core of sliding-window inference, streaming: windows run in z order, and as soon as no
 * later window can touch a row of the volume, that row's normalised probabilities go to `done`
 * and its memory is reused. Memory is bounded by one window-deep slab (patch depth x H x W x K,
 * deeper only where a batch spans several window rows)
 * and one batch, whatever the volume's depth: a 512x512x300 CT never holds a whole-volume
 * probability map. `predict` maps a batch [B, pd, ph, pw, 1] to probabilities
 * [B, pd, ph, pw, K]; it owns nothing it is given, and the tensor it returns is disposed here.
 */
export async function slidingWindowRows(
  image: Float32Array,
  shape: Triple,
  predict: (x: tf.Tensor5D) => tf.Tensor5D,
  o: SlidingWindowOptions,
  done: RowsDone,
): Promise<void> {
  const [D, H, W] = shape;
  const [pd, ph, pw] = o.patch;
  const K = o.classes;
  const overlap = o.overlap ?? 0.5;
  const B = Math.max(1, o.batchSize ?? 1);
  const weights = gaussianWeights(o.patch, o.sigmaScale ?? 1 / 8);
  const [zs, ys, xs] = [windowStarts(D, pd, overlap), windowStarts(H, ph, overlap), windowStarts(W, pw, overlap)];
  const windows: Triple[] = [];
  for (const z of zs) for (const y of ys) for (const x of xs) windows.push([z, y, x]);
  // A batch may span several window rows in z: the slab must hold all of them at once.
  let span = 0;
  for (let start = 0; start < windows.length; start += B) span = Math.max(span, windows[Math.min(windows.length, start + B) - 1]![0] - windows[start]![0]);
  const rows = Math.min(D, pd + span);
  const plane = H * W;
  // Ring buffer of `rows` volume rows: volume row z lives at slot z % rows.
  const probs = new Float32Array(rows * plane * K);
  const norm = new Float32Array(rows * plane);
  const pv = pd * ph * pw;
  let finished = 0;
  const flush = (upTo: number) => {
    if (upTo <= finished) return;
    const out = new Float32Array((upTo - finished) * plane * K);
    for (let z = finished; z < upTo; z++) {
      const slot = z % rows;
      const pBase = slot * plane * K;
      const nBase = slot * plane;
      const oBase = (z - finished) * plane * K;
      for (let v = 0; v < plane; v++) {
        const n = norm[nBase + v]!;
        for (let c = 0; c < K; c++) out[oBase + v * K + c] = probs[pBase + v * K + c]! / n;
      }
      probs.fill(0, pBase, pBase + plane * K);
      norm.fill(0, nBase, nBase + plane);
    }
    done(finished, upTo, out);
    finished = upTo;
  };
  for (let start = 0; start < windows.length; start += B) {
    if (o.signal?.aborted) throw new Error('sliding-window inference cancelled');
    // Rows below the first window of this batch are covered by no window still to come.
    flush(windows[start]![0]);
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
      for (let z = 0; z < pd && oz + z < D; z++) {
        const slot = (oz + z) % rows;
        for (let y = 0; y < ph && oy + y < H; y++)
          for (let xx = 0; xx < pw && ox + xx < W; xx++) {
            const pi = (z * ph + y) * pw + xx;
            const vi = slot * plane + (oy + y) * W + ox + xx;
            const w = weights[pi]!;
            norm[vi]! += w;
            const src = (k * pv + pi) * K;
            for (let c = 0; c < K; c++) probs[vi * K + c]! += w * p[src + c]!;
          }
      }
    });
    o.onProgress?.(Math.min(start + B, windows.length), windows.length);
    // Let the event loop run between batches: a server stays responsive and hears a cancellation.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  flush(D);
}

/** Class probabilities [D*H*W*K] (channels last) of `image` [D, H, W] (one channel): the whole map, for volumes that fit. */
export async function slidingWindow(image: Float32Array, shape: Triple, predict: (x: tf.Tensor5D) => tf.Tensor5D, o: SlidingWindowOptions): Promise<Float32Array> {
  const plane = shape[1] * shape[2] * o.classes;
  const probs = new Float32Array(shape[0] * plane);
  await slidingWindowRows(image, shape, predict, o, (z0, _z1, rows) => probs.set(rows, z0 * plane));
  return probs;
}

/** The most probable class of each voxel (D*H*W) without holding the whole probability map. */
export async function slidingWindowLabels(image: Float32Array, shape: Triple, predict: (x: tf.Tensor5D) => tf.Tensor5D, o: SlidingWindowOptions): Promise<Uint8Array> {
  const K = o.classes;
  if (K > 256) throw new Error(`${K} classes do not fit a uint8 label map`);
  const plane = shape[1] * shape[2];
  const labels = new Uint8Array(shape[0] * plane);
  await slidingWindowRows(image, shape, predict, o, (z0, z1, rows) => {
    const n = (z1 - z0) * plane;
    for (let v = 0; v < n; v++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (rows[v * K + k]! > rows[v * K + best]!) best = k;
      labels[z0 * plane + v] = best;
    }
  });
  return labels;
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
