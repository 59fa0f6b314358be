/**
 * The two per-channel passes batch normalisation is made of (channels = the last axis), in plain
 * JS over wasm-heap views; the native addon provides the same two, multi-threaded. Training a
 * batch-norm layer takes four such passes in all instead of the ~40 elementwise kernels that
 * tf.moments + tf.batchNorm and their gradients cost (issue 3, model B).
 */
export interface ChannelMath {
  /** out[c] = sum a; out[C + c] = sum a * (b - center[c]), or sum a^2 without b. out has 2C slots. */
  channelSums(a: Float32Array, b: Float32Array | null, center: Float32Array | null, out: Float64Array): void;
  /** out[.., c] = a * p[c] + b * q[c] + r[c]; b and q may be null. */
  channelAffine(a: Float32Array, b: Float32Array | null, out: Float32Array, p: Float32Array, q: Float32Array | null, r: Float32Array): void;
}

export const jsChannelMath: ChannelMath = {
  channelSums(a, b, center, out) {
    const c = out.length / 2;
    const s1 = new Float64Array(c);
    const s2 = new Float64Array(c);
    for (let o = 0; o < a.length; o += c) {
      for (let k = 0; k < c; k++) {
        const v = a[o + k]!;
        s1[k] = s1[k]! + v;
        s2[k] = s2[k]! + (b ? v * (b[o + k]! - center![k]!) : v * v);
      }
    }
    out.set(s1, 0);
    out.set(s2, c);
  },
  channelAffine(a, b, out, p, q, r) {
    const c = p.length;
    for (let o = 0; o < a.length; o += c) {
      for (let k = 0; k < c; k++) out[o + k] = a[o + k]! * p[k]! + (b ? b[o + k]! * q![k]! : 0) + r[k]!;
    }
  },
};
