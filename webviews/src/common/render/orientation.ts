/**
 * Anatomical orientation: which voxel axis runs along each screen axis of the axial, coronal
 * and sagittal views, honouring the direction matrix (ITK, LPS world). Views are shown the
 * radiological way: patient right on screen left; anterior up (axial); superior up (coronal,
 * sagittal); anterior left (sagittal). Oblique volumes snap to the nearest axis, as most
 * viewers do. Pure functions: the viewer and the annotator (3D boxes) share them.
 */
import type { VolumeHeader } from '../../../../server/src/protocol/viewer';

export type ViewName = 'axial' | 'coronal' | 'sagittal';
export const VIEWS: readonly ViewName[] = ['axial', 'coronal', 'sagittal'];
export type Vec3 = [number, number, number];
type Geometry = Pick<VolumeHeader, 'dims' | 'spacing' | 'origin' | 'direction'>;

/** For each voxel axis: the world axis (0 x=L, 1 y=P, 2 z=S) it runs along and the sign. */
export interface AxisAssignment {
  worldAxis: number;
  sign: 1 | -1;
}

/** Assigns voxel axes to world axes one-to-one, strongest direction cosines first. */
export function assignAxes(direction: VolumeHeader['direction']): AxisAssignment[] {
  const cands: { c: number; w: number; v: number }[] = [];
  for (let c = 0; c < 3; c++) for (let w = 0; w < 3; w++) cands.push({ c, w, v: direction[w * 3 + c]! });
  cands.sort((a, b) => Math.abs(b.v) - Math.abs(a.v));
  const out: (AxisAssignment | undefined)[] = [undefined, undefined, undefined];
  const usedW = new Set<number>();
  for (const k of cands) {
    if (out[k.c] || usedW.has(k.w)) continue;
    out[k.c] = { worldAxis: k.w, sign: k.v < 0 ? -1 : 1 };
    usedW.add(k.w);
  }
  return out.map((a, c) => a ?? { worldAxis: c, sign: 1 });
}

/**
 * How far the volume's axes are from the anatomical axes they are shown along: the largest
 * angle (degrees) between a voxel axis and its assigned world axis. 0 for an axis-aligned scan.
 */
export function obliqueDegrees(direction: VolumeHeader['direction']): number {
  const a = assignAxes(direction);
  let worst = 0;
  for (let c = 0; c < 3; c++) {
    const col = [direction[c]!, direction[3 + c]!, direction[6 + c]!];
    const norm = Math.hypot(...col) || 1;
    const cos = Math.min(1, Math.abs(col[a[c]!.worldAxis]!) / norm);
    worst = Math.max(worst, (Math.acos(cos) * 180) / Math.PI);
  }
  return worst;
}

/** Below this tilt (degrees) a volume counts as axis-aligned (rounding in file headers). */
export const OBLIQUE_TOLERANCE_DEG = 0.5;

/** A screen axis of a view: the voxel axis along it, and whether it runs backwards. */
export interface ScreenAxis {
  axis: number;
  /** True when moving right/down on screen decreases the voxel index. */
  flip: boolean;
}

export interface ViewGeometry {
  view: ViewName;
  right: ScreenAxis;
  down: ScreenAxis;
  /** The voxel axis the view slices through (its slider). */
  normal: number;
  /** Slice image size in voxels. */
  width: number;
  height: number;
  depth: number;
  /** Physical size of one slice pixel (mm) along screen x and y. */
  pixelWidth: number;
  pixelHeight: number;
  /** Orientation letters at the view's edges. */
  labels: { left: string; right: string; top: string; bottom: string };
}

/** World direction (LPS, signed unit axis) that screen-right and screen-down show, per view. */
const VIEW_AXES: Record<ViewName, { right: [number, 1 | -1]; down: [number, 1 | -1]; normal: number }> = {
  axial: { right: [0, 1], down: [1, 1], normal: 2 },
  coronal: { right: [0, 1], down: [2, -1], normal: 1 },
  sagittal: { right: [1, 1], down: [2, -1], normal: 0 },
};

const LETTERS: [string, string][] = [
  ['R', 'L'],
  ['A', 'P'],
  ['I', 'S'],
];

/** The letter of the anatomical direction a world vector points to most (LPS). */
export function directionLetter(v: Vec3): string {
  let w = 0;
  for (let i = 1; i < 3; i++) if (Math.abs(v[i]!) > Math.abs(v[w]!)) w = i;
  return LETTERS[w]![v[w]! < 0 ? 0 : 1]!;
}

function column(h: Geometry, c: number): Vec3 {
  return [h.direction[c]!, h.direction[3 + c]!, h.direction[6 + c]!];
}

export function viewGeometry(h: Geometry, view: ViewName): ViewGeometry {
  const assign = assignAxes(h.direction);
  const voxelAxisOf = (w: number) => assign.findIndex((a) => a.worldAxis === w);
  const spec = VIEW_AXES[view];
  const screen = ([w, s]: [number, 1 | -1]): ScreenAxis => {
    const axis = voxelAxisOf(w);
    return { axis, flip: assign[axis]!.sign !== s };
  };
  const right = screen(spec.right);
  const down = screen(spec.down);
  const normal = voxelAxisOf(spec.normal);
  // Letters come from the actual direction columns, so a wrong assignment would show up.
  const dirOf = (a: ScreenAxis): Vec3 => column(h, a.axis).map((x) => (a.flip ? -x : x)) as Vec3;
  const neg = (v: Vec3): Vec3 => [-v[0], -v[1], -v[2]];
  const r = dirOf(right);
  const d = dirOf(down);
  return {
    view,
    right,
    down,
    normal,
    width: h.dims[right.axis]!,
    height: h.dims[down.axis]!,
    depth: h.dims[normal]!,
    pixelWidth: h.spacing[right.axis]!,
    pixelHeight: h.spacing[down.axis]!,
    labels: { right: directionLetter(r), left: directionLetter(neg(r)), bottom: directionLetter(d), top: directionLetter(neg(d)) },
  };
}

/** Slice pixel (u right, v down; integers are pixel centres) on slice `slice` -> voxel index. */
export function viewToVoxel(g: ViewGeometry, u: number, v: number, slice: number): Vec3 {
  const out: Vec3 = [0, 0, 0];
  out[g.right.axis] = g.right.flip ? g.width - 1 - u : u;
  out[g.down.axis] = g.down.flip ? g.height - 1 - v : v;
  out[g.normal] = slice;
  return out;
}

/** Voxel index -> slice pixel (u, v) and the slice it lies on. */
export function voxelToView(g: ViewGeometry, ijk: Vec3): { u: number; v: number; slice: number } {
  const a = ijk[g.right.axis]!;
  const b = ijk[g.down.axis]!;
  return { u: g.right.flip ? g.width - 1 - a : a, v: g.down.flip ? g.height - 1 - b : b, slice: ijk[g.normal]! };
}

/** Voxel index (continuous) -> LPS world millimetres. */
export function voxelToWorld(h: Geometry, ijk: Vec3): Vec3 {
  const s = [ijk[0] * h.spacing[0], ijk[1] * h.spacing[1], ijk[2] * h.spacing[2]];
  const d = h.direction;
  return [
    h.origin[0] + d[0] * s[0]! + d[1] * s[1]! + d[2] * s[2]!,
    h.origin[1] + d[3] * s[0]! + d[4] * s[1]! + d[5] * s[2]!,
    h.origin[2] + d[6] * s[0]! + d[7] * s[1]! + d[8] * s[2]!,
  ];
}

/** The three-letter orientation code of the voxel axes (e.g. 'LPS', 'RAS'). */
export function orientationCode(direction: VolumeHeader['direction']): string {
  return [0, 1, 2].map((c) => directionLetter([direction[c]!, direction[3 + c]!, direction[6 + c]!])).join('');
}
