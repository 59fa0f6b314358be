/**
 * 3D boxes in the three slice views, pure: a voxel box (continuous index, voxel centres on
 * integers) projected onto a view's screen axes, a rectangle drawn or dragged there turned back
 * into the box, edges snapped to whole voxels.
 */
import type { VoxelBox } from '../../../server/src/formats/slicerRoi';
import type { ViewGeometry } from '../common/render/orientation';

/** A rectangle in slice pixels (u right, v down; pixel centres on integers, edges on .5). */
export interface SliceRect {
  u0: number;
  v0: number;
  u1: number;
  v1: number;
}

/** How many voxels a new box reaches above and below the slice it was drawn on. */
export const DEFAULT_HALF_DEPTH = 2;

function toScreen(index: number, size: number, flip: boolean): number {
  return flip ? size - 1 - index : index;
}

/** The box's rectangle in a view (its extent along the view's two screen axes). */
export function projectBox(g: ViewGeometry, b: VoxelBox): SliceRect {
  const r = g.right.axis;
  const d = g.down.axis;
  const ua = toScreen(b.min[r]!, g.width, g.right.flip);
  const ub = toScreen(b.max[r]!, g.width, g.right.flip);
  const va = toScreen(b.min[d]!, g.height, g.down.flip);
  const vb = toScreen(b.max[d]!, g.height, g.down.flip);
  return { u0: Math.min(ua, ub), u1: Math.max(ua, ub), v0: Math.min(va, vb), v1: Math.max(va, vb) };
}

/** True when the view's current slice cuts through the box. */
export function sliceHits(g: ViewGeometry, b: VoxelBox, slice: number): boolean {
  return slice >= b.min[g.normal]! && slice <= b.max[g.normal]!;
}

/** Edges of whole voxels covering a..b (either order), kept inside 0..n-1. */
export function snapRange(a: number, b: number, n: number): [number, number] {
  const lo = Math.max(-0.5, Math.round(Math.min(a, b) + 0.5) - 0.5);
  const hi = Math.min(n - 0.5, Math.round(Math.max(a, b) - 0.5) + 0.5);
  return hi > lo ? [lo, hi] : [lo, Math.min(n - 0.5, lo + 1)];
}

/** The box with its extent along the view's two screen axes replaced by `rect` (snapped). */
export function withRect(g: ViewGeometry, b: VoxelBox, rect: SliceRect): VoxelBox {
  const min = [...b.min] as VoxelBox['min'];
  const max = [...b.max] as VoxelBox['max'];
  const [u0, u1] = snapRange(rect.u0, rect.u1, g.width);
  const [v0, v1] = snapRange(rect.v0, rect.v1, g.height);
  const set = (axis: number, size: number, flip: boolean, lo: number, hi: number) => {
    const a = toScreen(lo, size, flip);
    const c = toScreen(hi, size, flip);
    min[axis] = Math.min(a, c);
    max[axis] = Math.max(a, c);
  };
  set(g.right.axis, g.width, g.right.flip, u0, u1);
  set(g.down.axis, g.height, g.down.flip, v0, v1);
  return { min, max };
}

/**
 * A new box from a rectangle drawn on `slice` of a view: whole voxels from the first to the
 * last one touched, `halfDepth` slices above and below.
 */
export function boxFromDrawing(g: ViewGeometry, rect: SliceRect, slice: number, halfDepth = DEFAULT_HALF_DEPTH): VoxelBox {
  const [lo, hi] = snapRange(slice - halfDepth - 0.49, slice + halfDepth + 0.49, g.depth);
  const seed: VoxelBox = { min: [0, 0, 0], max: [0, 0, 0] };
  seed.min[g.normal] = lo;
  seed.max[g.normal] = hi;
  // Drawn from pixel centre to pixel centre: cover both end pixels whole.
  return withRect(g, seed, { u0: Math.min(rect.u0, rect.u1) - 0.49, u1: Math.max(rect.u0, rect.u1) + 0.49, v0: Math.min(rect.v0, rect.v1) - 0.49, v1: Math.max(rect.v0, rect.v1) + 0.49 });
}
