/** Pixel conversions for overlays sent to the viewer (pure: no vscode import). */

/**
 * The optimised image of an RGB model has interleaved channels; the overlay shows one value per
 * pixel, so channels are averaged (the viewer min-max normalises what it gets).
 */
export function singleChannel(b64: string, channels: number | undefined): string {
  if (!channels || channels <= 1) return b64;
  // Copy: a pooled Buffer's offset need not be 4-byte aligned for a Float32Array view.
  const src = new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer);
  const out = new Float32Array(src.length / channels);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += src[i * channels + c]!;
    out[i] = sum / channels;
  }
  return Buffer.from(out.buffer).toString('base64');
}
