/**
 * Training patches cut from whole volumes at their own resolution, as nnU-Net and MONAI sample
 * them: a fixed patch size, a share of patches forced to contain foreground (centred on a random
 * voxel of a random class present in the case), the rest placed uniformly. Volumes smaller than
 * the patch are zero-padded (label 0). Memory per batch is batch x patch, whatever the volume
 * size; the foreground voxel index of each case is built once and kept.
 */
import type { Rng } from '../../transforms/rng';

export type Triple = [number, number, number];

export interface PatchSource {
  /** Stable key for the foreground index (the case id). */
  id: string;
  /** [D, H, W]. */
  shape: Triple;
  /** D*H*W (single channel). */
  image: Float32Array;
  label?: Int32Array;
}

export interface Patch {
  image: Float32Array;
  label?: Int32Array;
  /** Where the patch's first voxel lies in the volume (may be negative: padding). */
  origin: Triple;
}

export interface PatchSamplerOptions {
  patch: Triple;
  /** Share of each batch forced to hold foreground (nnU-Net: 0.33). */
  foreground: number;
  /** Voxels remembered per class per case for foreground sampling. */
  maxIndexed?: number;
}

export class PatchSampler {
  private readonly fgIndex = new Map<string, Int32Array[]>();

  constructor(readonly opts: PatchSamplerOptions) {
    if (opts.patch.some((p) => !Number.isInteger(p) || p < 1)) throw new Error(`patch size must be whole numbers >= 1, got ${opts.patch.join('x')}`);
  }

  /** Voxel indices of each label value > 0 (a strided subset when there are many). */
  private foregroundOf(src: PatchSource): Int32Array[] {
    const hit = this.fgIndex.get(src.id);
    if (hit) return hit;
    const byClass = new Map<number, number[]>();
    const lab = src.label;
    if (lab) for (let i = 0; i < lab.length; i++) if (lab[i]! > 0) (byClass.get(lab[i]!) ?? byClass.set(lab[i]!, []).get(lab[i]!)!).push(i);
    const max = this.opts.maxIndexed ?? 20000;
    const out = [...byClass.keys()].sort((a, b) => a - b).map((k) => {
      const all = byClass.get(k)!;
      const step = Math.max(1, Math.ceil(all.length / max));
      return Int32Array.from(all.filter((_, j) => j % step === 0));
    });
    this.fgIndex.set(src.id, out);
    return out;
  }

  /** The patch origin: around a foreground voxel, or uniform over the volume (padded where smaller). */
  origin(src: PatchSource, rng: Rng, forceForeground: boolean): Triple {
    const P = this.opts.patch;
    const S = src.shape;
    const fg = forceForeground ? this.foregroundOf(src) : [];
    if (fg.length) {
      const cls = fg[Math.floor(rng.next() * fg.length)]!;
      const v = cls[Math.floor(rng.next() * cls.length)]!;
      const c: Triple = [Math.floor(v / (S[1] * S[2])), Math.floor(v / S[2]) % S[1], v % S[2]];
      // The voxel lands anywhere in the patch's middle half, not always at its centre.
      return [0, 1, 2].map((a) => c[a]! - Math.floor(P[a]! / 4 + rng.next() * (P[a]! / 2))) as Triple;
    }
    return [0, 1, 2].map((a) => {
      const room = S[a]! - P[a]!;
      return room >= 0 ? Math.floor(rng.next() * (room + 1)) : Math.floor(room / 2);
    }) as Triple;
  }

  /** Copies the patch at `origin` (zeros outside the volume). */
  crop(src: PatchSource, origin: Triple): Patch {
    const [pd, ph, pw] = this.opts.patch;
    const [D, H, W] = src.shape;
    const image = new Float32Array(pd * ph * pw);
    const label = src.label ? new Int32Array(pd * ph * pw) : undefined;
    const [oz, oy, ox] = origin;
    const x0 = Math.max(0, -ox);
    const x1 = Math.min(pw, W - ox);
    if (x1 > x0) {
      for (let z = 0; z < pd; z++) {
        const sz = z + oz;
        if (sz < 0 || sz >= D) continue;
        for (let y = 0; y < ph; y++) {
          const sy = y + oy;
          if (sy < 0 || sy >= H) continue;
          const from = (sz * H + sy) * W + ox;
          const to = (z * ph + y) * pw;
          image.set(src.image.subarray(from + x0, from + x1), to + x0);
          if (label) label.set(src.label!.subarray(from + x0, from + x1), to + x0);
        }
      }
    }
    return label ? { image, label, origin } : { image, origin };
  }

  /**
   * One batch: a patch from each source in turn; the last round(batch x foreground) of them
   * (at least one when foreground > 0) forced to hold foreground, as nnU-Net does.
   */
  batch(sources: PatchSource[], rng: Rng): Patch[] {
    const n = sources.length;
    const forced = this.opts.foreground > 0 ? Math.max(1, Math.round(n * this.opts.foreground)) : 0;
    return sources.map((s, k) => this.crop(s, this.origin(s, rng, k >= n - forced)));
  }
}
