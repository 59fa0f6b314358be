/** A small radix-2 complex FFT (in place) and its 2D form, for spectral-residual saliency. */

/** In-place FFT of (re, im), length a power of two; inverse when `inverse` (scaled by 1/n). */
export function fft1d(re: Float64Array, im: Float64Array, inverse = false): void {
  const n = re.length;
  if (n & (n - 1)) throw new Error(`fft1d: length ${n} is not a power of two`);
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const xr = re[b]! * cr - im[b]! * ci;
        const xi = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a]! += xr;
        im[a]! += xi;
        const t = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = t;
      }
    }
  }
  if (!inverse) return;
  for (let i = 0; i < n; i++) {
    re[i]! /= n;
    im[i]! /= n;
  }
}

/** In-place 2D FFT of a row-major size x size complex image (size a power of two). */
export function fft2d(re: Float64Array, im: Float64Array, size: number, inverse = false): void {
  const r = new Float64Array(size);
  const i2 = new Float64Array(size);
  for (let y = 0; y < size; y++) {
    r.set(re.subarray(y * size, (y + 1) * size));
    i2.set(im.subarray(y * size, (y + 1) * size));
    fft1d(r, i2, inverse);
    re.set(r, y * size);
    im.set(i2, y * size);
  }
  for (let x = 0; x < size; x++) {
    for (let y = 0; y < size; y++) {
      r[y] = re[y * size + x]!;
      i2[y] = im[y * size + x]!;
    }
    fft1d(r, i2, inverse);
    for (let y = 0; y < size; y++) {
      re[y * size + x] = r[y]!;
      im[y * size + x] = i2[y]!;
    }
  }
}
