/**
 * The [to, from] matrix of 1D linear resampling (half-pixel centres, edges clamped, like
 * tf.image.resizeBilinear with halfPixelCenters and PyTorch's align_corners=False). Resizing
 * as matrix products keeps the gradient to matMul, which every backend has.
 */
export function linearInterpMatrix(from: number, to: number): Float32Array {
  const m = new Float32Array(to * from);
  const scale = from / to;
  for (let i = 0; i < to; i++) {
    const src = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), from - 1);
    const lo = Math.floor(src);
    const hi = Math.min(lo + 1, from - 1);
    const f = src - lo;
    m[i * from + lo] = m[i * from + lo]! + 1 - f;
    m[i * from + hi] = m[i * from + hi]! + f;
  }
  return m;
}
