/**
 * One canonical voxel frame for every volume: voxel axis i along world +x, j along +y, k along
 * +z (ITK's LPS, so the direction matrix becomes the identity for an axis-aligned scan). Scans
 * come in every axis order and sign (sagittal MR, flipped CT); a model trained on one frame
 * would see the others mirrored or transposed. Only axis permutations and flips are applied
 * (no interpolation): each voxel axis goes to the world axis it points along most. An oblique
 * scan keeps its residual rotation in the direction matrix. The inverse puts predictions back
 * in the input's own grid, voxel for voxel.
 */
import type { ImageGeometry, Mat3, Vec3 } from '../../formats/geometry';

export type Dims3 = [number, number, number];

/** Canonical axis a (0 = i/x, 1 = j/y, 2 = k/z) is source voxel axis `from[a]`, reversed where `flip[a]`. */
export interface AxisMap {
  from: Dims3;
  flip: [boolean, boolean, boolean];
}

export const IDENTITY_AXES: AxisMap = { from: [0, 1, 2], flip: [false, false, false] };

export function isIdentity(m: AxisMap): boolean {
  return m.from.every((v, a) => v === a) && m.flip.every((f) => !f);
}

/** Which source axis each world axis takes, greedily by the largest direction cosine. */
export function canonicalAxes(direction: Mat3): AxisMap {
  const pairs: { world: number; voxel: number; value: number }[] = [];
  for (let w = 0; w < 3; w++) for (let v = 0; v < 3; v++) pairs.push({ world: w, voxel: v, value: direction[w * 3 + v]! });
  pairs.sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
  const from: number[] = [-1, -1, -1];
  const flip = [false, false, false];
  const usedVoxel = new Set<number>();
  for (const p of pairs) {
    if (from[p.world] !== -1 || usedVoxel.has(p.voxel)) continue;
    from[p.world] = p.voxel;
    flip[p.world] = p.value < 0;
    usedVoxel.add(p.voxel);
  }
  return { from: from as Dims3, flip: flip as [boolean, boolean, boolean] };
}

/** Dims (i, j, k sizes) after applying `m` to a volume of `dims`. */
export function canonicalDims(dims: Dims3, m: AxisMap): Dims3 {
  return [dims[m.from[0]]!, dims[m.from[1]]!, dims[m.from[2]]!];
}

/** The geometry of the reoriented volume: the same voxels in the same world places. */
export function canonicalGeometry(g: ImageGeometry, dims: Dims3, m: AxisMap): ImageGeometry {
  const col = (v: number): Vec3 => [g.direction[v]!, g.direction[3 + v]!, g.direction[6 + v]!];
  const origin = [...g.origin] as Vec3;
  const direction = new Array<number>(9).fill(0);
  const spacing = [0, 0, 0] as Vec3;
  for (let a = 0; a < 3; a++) {
    const v = m.from[a]!;
    const sign = m.flip[a] ? -1 : 1;
    const c = col(v);
    spacing[a] = g.spacing[v]!;
    for (let r = 0; r < 3; r++) direction[r * 3 + a] = sign * c[r]!;
    // A reversed axis starts at the source's last voxel.
    if (m.flip[a]) for (let r = 0; r < 3; r++) origin[r]! += c[r]! * g.spacing[v]! * (dims[v]! - 1);
  }
  return { origin, spacing, direction: direction as Mat3 };
}

type Voxels = Float32Array | Int32Array | Uint8Array | Int16Array | Uint16Array;

/** `data` (x fastest, `dims` i, j, k) reoriented by `m`, into a new array of the same type. */
export function reorient<T extends Voxels>(data: T, dims: Dims3, m: AxisMap): T {
  if (isIdentity(m)) return data.slice() as T;
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const cd = canonicalDims(dims, m);
  const stride = [1, dims[0], dims[0] * dims[1]];
  // Source offset of canonical index a along each canonical axis, and where it starts.
  const step = [0, 1, 2].map((a) => (m.flip[a] ? -1 : 1) * stride[m.from[a]!]!);
  const base = [0, 1, 2].reduce((s, a) => s + (m.flip[a] ? (dims[m.from[a]!]! - 1) * stride[m.from[a]!]! : 0), 0);
  let o = 0;
  for (let k = 0; k < cd[2]; k++) {
    const sk = base + k * step[2]!;
    for (let j = 0; j < cd[1]; j++) {
      let s = sk + j * step[1]!;
      for (let i = 0; i < cd[0]; i++, s += step[0]!) out[o++] = data[s]!;
    }
  }
  return out;
}

/** The map that undoes `m`: canonical voxels back to the source's axis order and signs. */
export function inverseAxes(m: AxisMap): AxisMap {
  const from = [0, 0, 0] as Dims3;
  const flip: [boolean, boolean, boolean] = [false, false, false];
  for (let a = 0; a < 3; a++) {
    from[m.from[a]!] = a;
    flip[m.from[a]!] = m.flip[a]!;
  }
  return { from, flip };
}
