/** The error every reader throws for input it cannot read: it names the file and the problem. */

export type ImageReadProblem = 'not-found' | 'empty' | 'truncated' | 'corrupt' | 'unsupported' | 'too-large' | 'wrong-extension' | 'no-series' | 'ambiguous-series';

export class ImageReadError extends Error {
  constructor(
    readonly file: string,
    readonly problem: ImageReadProblem,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'ImageReadError';
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 4) return `${(n / 1024 ** 4).toPrecision(3)} TiB`;
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toPrecision(3)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toPrecision(3)} MiB`;
  return `${n} bytes`;
}

/** Throws 'too-large' when dims x components x bytes exceeds the limit (checked before allocating). */
export function checkSize(file: string, dims: readonly number[], components: number, bytesPerValue: number, maxBytes: number, what: string): void {
  if (dims.some((d) => !Number.isInteger(d) || d < 1)) throw new ImageReadError(file, 'corrupt', `${what} has invalid dimensions ${dims.join('x')}`);
  const bytes = dims.reduce((a, b) => a * b, 1) * components * bytesPerValue;
  if (bytes > maxBytes) {
    throw new ImageReadError(file, 'too-large', `${what} of ${dims.join('x')} voxels would need ${formatBytes(bytes)}, more than the ${formatBytes(maxBytes)} limit`);
  }
}
