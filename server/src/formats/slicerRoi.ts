/**
 * 3D Slicer markups ROI files (`.mrk.json`) for 3D lesion boxes, and their conversion to and from
 * voxel boxes of an image. A file holds one or more ROI markups; each is an oriented box:
 * `center` (world mm), `size` (mm along the box axes), `orientation` (row-major 3x3 whose columns
 * are the box axes), in the markup's `coordinateSystem` (LPS or RAS). MedStudio keeps a box's
 * source, score and class in a `medstudio` member that Slicer ignores. Pure and dependency-free.
 */
import type { BoxSource } from './coco';
import { BOX_SOURCES } from './coco';
import {
  flipLpsRas,
  IDENTITY3,
  mat3Invert,
  mat3Mul,
  mat3MulVec,
  voxelToWorld,
  worldToVoxel,
  type ImageGeometry,
  type Mat3,
  type Vec3,
} from './geometry';
import { isFiniteNumber, isNumberArray, isRecord, parseJsonText, stringifyStable, type FormatIssue } from './jsonText';

export const SLICER_MARKUPS_SCHEMA = 'https://raw.githubusercontent.com/slicer/slicer/master/Modules/Loadable/Markups/Resources/Schema/markups-schema-v1.0.3.json#';

export type CoordinateSystem = 'LPS' | 'RAS';

export interface SlicerRoi {
  coordinateSystem: CoordinateSystem;
  center: Vec3;
  /** Full edge lengths in mm along the box's own axes. */
  size: Vec3;
  /** Row-major 3x3; column c is box axis c in world coordinates. */
  orientation: Mat3;
  /** Slicer's control point label, e.g. "nodule-1". */
  label: string;
  source: BoxSource;
  score?: number;
  /** Class name of the lesion, when known. */
  category?: string;
  /**
   * The markup as read (display settings, descriptions, measurements, other tools' members), so
   * that saving changes only what MedStudio edits and writes the rest back unchanged.
   */
  original?: Record<string, unknown>;
}

/** A whole `.mrk.json`: its ROIs and the top-level members besides `markups`. */
export interface SlicerRoiDocument {
  rois: SlicerRoi[];
  extra: Record<string, unknown>;
}

export type RoiIssueCode = 'json' | 'schema' | 'not-roi' | 'bad-coordinate-system' | 'non-positive-size' | 'bad-source' | 'bad-score';
export type RoiIssue = FormatIssue<RoiIssueCode>;

export class SlicerRoiFormatError extends Error {
  constructor(
    readonly issues: RoiIssue[],
    readonly file?: string,
  ) {
    super(`${file ?? 'markups file'}: ${issues.slice(0, 5).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`);
    this.name = 'SlicerRoiFormatError';
  }
}

/** World flip between LPS and RAS as a matrix (its own inverse). */
const FLIP: Mat3 = [-1, 0, 0, 0, -1, 0, 0, 0, 1];

/** The same box expressed in `system` (center and axes flip; size does not). */
export function roiInSystem(roi: SlicerRoi, system: CoordinateSystem): SlicerRoi {
  if (roi.coordinateSystem === system) return roi;
  return { ...roi, coordinateSystem: system, center: flipLpsRas(roi.center), orientation: mat3Mul(FLIP, roi.orientation) };
}

/**
 * Parses a `.mrk.json` text into its ROI markups. Throws SlicerRoiFormatError (with line and
 * column for malformed JSON) when the file breaks the format; markups of other types (points,
 * curves) are an error too, since a box file with them is likely the wrong file.
 */
export function parseSlicerRoi(text: string, file?: string): SlicerRoi[] {
  return parseSlicerRoiDocument(text, file).rois.map(({ original: _original, ...roi }) => roi);
}

/** parseSlicerRoi, keeping the document's other top-level members for a lossless save. */
export function parseSlicerRoiDocument(text: string, file?: string): SlicerRoiDocument {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new SlicerRoiFormatError([parsed.issue], file);
  const issues: RoiIssue[] = [];
  const rois: SlicerRoi[] = [];
  const doc = parsed.value;
  if (!isRecord(doc) || !Array.isArray(doc.markups)) {
    throw new SlicerRoiFormatError([{ code: 'schema', path: 'markups', message: "expected an object with a 'markups' array" }], file);
  }
  doc.markups.forEach((m: unknown, i) => {
    const p = `markups[${i}]`;
    const issue = (code: RoiIssueCode, path: string, message: string) => issues.push({ code, path: `${p}${path}`, message });
    if (!isRecord(m)) return issue('schema', '', 'expected an object');
    if (m.type !== 'ROI') return issue('not-roi', '.type', `expected type "ROI", got ${JSON.stringify(m.type)}`);
    const cs = m.coordinateSystem ?? 'LPS';
    if (cs !== 'LPS' && cs !== 'RAS') return issue('bad-coordinate-system', '.coordinateSystem', `expected LPS or RAS, got ${JSON.stringify(cs)}`);
    const points = Array.isArray(m.controlPoints) ? m.controlPoints : [];
    const first: unknown = points[0];
    // Slicer keeps the box centre both as `center` and as the single control point's position.
    const center = isNumberArray(m.center, 3) ? m.center : isRecord(first) && isNumberArray(first.position, 3) ? first.position : undefined;
    if (!center) return issue('schema', '.center', 'expected center [x, y, z]');
    if (!isNumberArray(m.size, 3)) return issue('schema', '.size', 'expected size [x, y, z]');
    if (m.size.some((s) => s <= 0)) return issue('non-positive-size', '.size', `box size must be positive, got [${m.size.join(', ')}]`);
    const orientation = m.orientation === undefined ? IDENTITY3 : m.orientation;
    if (!isNumberArray(orientation, 9)) return issue('schema', '.orientation', 'expected orientation of 9 numbers (row-major 3x3)');
    try {
      mat3Invert(orientation as Mat3);
    } catch {
      return issue('schema', '.orientation', 'orientation is singular');
    }
    const meta = isRecord(m.medstudio) ? m.medstudio : {};
    const source = meta.source ?? 'manual';
    if (!BOX_SOURCES.includes(source as BoxSource)) return issue('bad-source', '.medstudio.source', `source must be one of ${BOX_SOURCES.join(', ')}`);
    if (meta.score !== undefined && (!isFiniteNumber(meta.score) || meta.score < 0 || meta.score > 1)) {
      return issue('bad-score', '.medstudio.score', 'score must be a number in [0, 1]');
    }
    const label = isRecord(first) && typeof first.label === 'string' ? first.label : typeof m.name === 'string' ? m.name : `R-${i + 1}`;
    const roi: SlicerRoi = { coordinateSystem: cs, center: [...center] as Vec3, size: [...m.size] as Vec3, orientation: [...orientation] as Mat3, label, source: source as BoxSource };
    if (isFiniteNumber(meta.score)) roi.score = meta.score;
    if (typeof meta.category === 'string') roi.category = meta.category;
    roi.original = m;
    rois.push(roi);
  });
  if (issues.length) throw new SlicerRoiFormatError(issues, file);
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc)) if (k !== 'markups') extra[k] = v;
  return { rois, extra };
}

/** The markup written for a ROI MedStudio created (Slicer's defaults for a box). */
function newMarkup(r: SlicerRoi): Record<string, unknown> {
  return {
    type: 'ROI',
    coordinateSystem: r.coordinateSystem,
    coordinateUnits: 'mm',
    locked: false,
    fixedNumberOfControlPoints: false,
    labelFormat: '%N-%d',
    lastUsedControlPointNumber: 1,
    roiType: 'Box',
    center: r.center,
    orientation: r.orientation,
    size: r.size,
    insideOut: false,
    controlPoints: [
      { id: '1', label: r.label, description: '', associatedNodeID: '', position: r.center, orientation: r.orientation, selected: true, locked: false, visibility: true, positionStatus: 'defined' },
    ],
    measurements: [],
  };
}

/** The markup read from a file with MedStudio's edits (box, label) applied and every other member kept. */
function editedMarkup(r: SlicerRoi, original: Record<string, unknown>): Record<string, unknown> {
  const m: Record<string, unknown> = structuredClone(original);
  m.coordinateSystem = r.coordinateSystem;
  m.center = r.center;
  m.orientation = r.orientation;
  m.size = r.size;
  const points = Array.isArray(m.controlPoints) ? m.controlPoints : [];
  const first: unknown = points[0];
  if (isRecord(first)) {
    first.position = r.center;
    first.orientation = r.orientation;
    first.label = r.label;
  } else m.controlPoints = newMarkup(r).controlPoints;
  return m;
}

/**
 * Writes ROIs as a Slicer-loadable markups file; the same ROIs always give the same bytes. ROIs
 * read from a file keep every member MedStudio does not edit, and `extra` (the document's other
 * top-level members, as parseSlicerRoiDocument returns them) is written back too.
 */
export function serializeSlicerRoi(rois: readonly SlicerRoi[], extra: Record<string, unknown> = {}): string {
  const markups = rois.map((r) => {
    const m = r.original ? editedMarkup(r, r.original) : newMarkup(r);
    const medstudio: Record<string, unknown> = isRecord(m.medstudio) ? { ...m.medstudio } : {};
    medstudio.source = r.source;
    if (r.score !== undefined) medstudio.score = r.score;
    else delete medstudio.score;
    if (r.category !== undefined) medstudio.category = r.category;
    else delete medstudio.category;
    m.medstudio = medstudio;
    return m;
  });
  return stringifyStable({ '@schema': SLICER_MARKUPS_SCHEMA, ...extra, markups });
}

/**
 * An axis-aligned box in continuous voxel index coordinates (voxel centres on integers, so the
 * box covering voxels 3..5 inclusive is min 2.5, max 5.5).
 */
export interface VoxelBox {
  min: Vec3;
  max: Vec3;
}

/** The 8 corners of a ROI in world coordinates of its own system. */
export function roiCorners(roi: SlicerRoi): Vec3[] {
  const out: Vec3[] = [];
  for (const sx of [-0.5, 0.5]) {
    for (const sy of [-0.5, 0.5]) {
      for (const sz of [-0.5, 0.5]) {
        const d = mat3MulVec(roi.orientation, [sx * roi.size[0], sy * roi.size[1], sz * roi.size[2]]);
        out.push([roi.center[0] + d[0], roi.center[1] + d[1], roi.center[2] + d[2]]);
      }
    }
  }
  return out;
}

/**
 * The voxel box enclosing a ROI in an image (geometry in LPS, as ITK reports it). Exact for a
 * ROI aligned with the image axes; for an oblique ROI, the smallest enclosing axis-aligned box.
 */
export function roiToVoxelBox(roi: SlicerRoi, g: ImageGeometry): VoxelBox {
  const corners = roiCorners(roiInSystem(roi, 'LPS')).map((c) => worldToVoxel(g, c));
  const min: Vec3 = [Infinity, Infinity, Infinity];
  const max: Vec3 = [-Infinity, -Infinity, -Infinity];
  for (const c of corners) {
    for (let a = 0; a < 3; a++) {
      min[a] = Math.min(min[a]!, c[a]!);
      max[a] = Math.max(max[a]!, c[a]!);
    }
  }
  return { min, max };
}

/**
 * The LPS ROI exactly covering a voxel box, oriented along the image axes (so it lands on the
 * same voxels in Slicer even for an oblique image).
 */
export function voxelBoxToRoi(box: VoxelBox, g: ImageGeometry, meta: { label: string; source: BoxSource; score?: number; category?: string }): SlicerRoi {
  const mid: Vec3 = [(box.min[0] + box.max[0]) / 2, (box.min[1] + box.max[1]) / 2, (box.min[2] + box.max[2]) / 2];
  const size: Vec3 = [0, 1, 2].map((a) => Math.abs(box.max[a]! - box.min[a]!) * g.spacing[a]!) as Vec3;
  const roi: SlicerRoi = { coordinateSystem: 'LPS', center: voxelToWorld(g, mid), size, orientation: [...g.direction] as Mat3, label: meta.label, source: meta.source };
  if (meta.score !== undefined) roi.score = meta.score;
  if (meta.category !== undefined) roi.category = meta.category;
  return roi;
}

/**
 * Integer voxel ranges [lo, hi] (inclusive) of the voxels whose centres lie in the box, clipped
 * to an image of `dims`; null when the box misses the image.
 */
export function voxelRange(box: VoxelBox, dims: readonly number[]): { lo: Vec3; hi: Vec3 } | null {
  const lo: Vec3 = [0, 0, 0];
  const hi: Vec3 = [0, 0, 0];
  for (let a = 0; a < 3; a++) {
    lo[a] = Math.max(0, Math.ceil(box.min[a]! - 1e-9));
    hi[a] = Math.min((dims[a] ?? 1) - 1, Math.floor(box.max[a]! + 1e-9));
    if (hi[a]! < lo[a]!) return null;
  }
  return { lo, hi };
}
