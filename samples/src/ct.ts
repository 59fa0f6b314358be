/**
 * Synthetic chest CT volumes (48^3, int16 Hounsfield units) with label maps and nodule boxes.
 * Anatomy is defined in world (LPS, mm) coordinates around the patient's centre and sampled
 * through each volume's own geometry, so volumes stored with a flipped or rotated direction
 * still show the same anatomy the right way up in a viewer that honours the direction.
 * Labels: 0 background, 1 lung, 2 nodule.
 */
import { voxelToWorld, type ImageGeometry, type Mat3, type Vec3 } from '../../server/src/formats/geometry';
import type { Rng } from '../../server/src/transforms/rng';

export const CT_SIZE = 48;
export const CT_LABELS = { background: 0, lung: 1, nodule: 2 } as const;

export interface Nodule {
  /** Centre relative to the patient centre, LPS mm. */
  rel: Vec3;
  radius: number;
}

export interface CtCase {
  geometry: ImageGeometry;
  hu: Int16Array;
  labels: Uint8Array;
  nodules: { center: Vec3; radius: number; voxelBox: { min: Vec3; max: Vec3 } }[];
}

interface Ellipsoid {
  c: Vec3;
  r: Vec3;
}
const inEllipsoid = (p: Vec3, e: Ellipsoid) => ((p[0] - e.c[0]) / e.r[0]) ** 2 + ((p[1] - e.c[1]) / e.r[1]) ** 2 + ((p[2] - e.c[2]) / e.r[2]) ** 2 <= 1;
const inCylinderZ = (p: Vec3, x: number, y: number, r: number) => (p[0] - x) ** 2 + (p[1] - y) ** 2 <= r * r;

function distToSegment(p: Vec3, a: Vec3, b: Vec3): number {
  const ab: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const t = Math.max(0, Math.min(1, ((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1] + (p[2] - a[2]) * ab[2]) / (ab[0] ** 2 + ab[1] ** 2 + ab[2] ** 2)));
  return Math.hypot(p[0] - a[0] - t * ab[0], p[1] - a[1] - t * ab[1], p[2] - a[2] - t * ab[2]);
}

interface Patient {
  centre: Vec3;
  body: { a: number; b: number };
  lungs: Ellipsoid[];
  heart: Ellipsoid;
  liver: Ellipsoid;
  vessels: { a: Vec3; b: Vec3; r: number }[];
  nodules: Nodule[];
  lungHu: number;
}

function makePatient(rng: Rng, nodules: number): Patient {
  const s = rng.uniform(0.92, 1.08);
  const lungs: Ellipsoid[] = [-1, 1].map((side) => ({ c: [side * 48 * s, 4, 18] as Vec3, r: [36 * s, 52 * s, 78 * s] as Vec3 }));
  const vessels: Patient['vessels'] = [];
  for (const lung of lungs) {
    const hilum: Vec3 = [lung.c[0] * 0.45, 0, 12];
    for (let v = 0; v < 5; v++) {
      const end: Vec3 = [lung.c[0] + rng.uniform(-0.6, 0.6) * lung.r[0], lung.c[1] + rng.uniform(-0.7, 0.7) * lung.r[1], lung.c[2] + rng.uniform(-0.7, 0.7) * lung.r[2]];
      vessels.push({ a: hilum, b: end, r: rng.uniform(2.5, 4) });
    }
  }
  const placed: Nodule[] = [];
  while (placed.length < nodules) {
    const lung = rng.pick(lungs);
    const radius = rng.uniform(6, 13);
    const rel: Vec3 = [lung.c[0] + rng.uniform(-0.6, 0.6) * lung.r[0], lung.c[1] + rng.uniform(-0.6, 0.6) * lung.r[1], lung.c[2] + rng.uniform(-0.6, 0.6) * lung.r[2]];
    const shrunk: Ellipsoid = { c: lung.c, r: [lung.r[0] - radius, lung.r[1] - radius, lung.r[2] - radius] };
    if (inEllipsoid(rel, shrunk) && placed.every((n) => Math.hypot(n.rel[0] - rel[0], n.rel[1] - rel[1], n.rel[2] - rel[2]) > n.radius + radius + 6)) {
      placed.push({ rel, radius });
    }
  }
  return {
    centre: [rng.uniform(-8, 8), rng.uniform(-8, 8), rng.uniform(-10, 10)],
    body: { a: 105 * s, b: 78 * s },
    lungs,
    heart: { c: [12 * s, -18 * s, -8], r: [40 * s, 36 * s, 46 * s] },
    liver: { c: [-40 * s, 0, -95], r: [62 * s, 56 * s, 48 * s] },
    vessels,
    nodules: placed,
    lungHu: rng.uniform(-880, -820),
  };
}

/** Hounsfield value and label at a point relative to the patient centre. */
function tissue(p: Patient, q: Vec3): { hu: number; label: number } {
  const e = (q[0] / p.body.a) ** 2 + (q[1] / p.body.b) ** 2;
  if (e > 1) return { hu: -1000, label: 0 };
  for (const n of p.nodules) if (Math.hypot(q[0] - n.rel[0], q[1] - n.rel[1], q[2] - n.rel[2]) <= n.radius) return { hu: 35, label: 2 };
  if (inCylinderZ(q, 0, 58, 14)) return { hu: inCylinderZ(q, 0, 58, 10) ? 250 : 650, label: 0 }; // vertebral body
  if (inCylinderZ(q, 0, 74, 5)) return { hu: 15, label: 0 }; // spinal canal
  if (inCylinderZ(q, 18, 40, 9)) return { hu: 45, label: 0 }; // descending aorta
  if (inCylinderZ(q, 0, -72, 6)) return { hu: 500, label: 0 }; // sternum
  if (inEllipsoid(q, p.heart)) return { hu: 40, label: 0 };
  if (p.lungs.some((l) => inEllipsoid(q, l))) {
    for (const v of p.vessels) if (distToSegment(q, v.a, v.b) <= v.r) return { hu: 30, label: 1 };
    return { hu: p.lungHu, label: 1 };
  }
  if (inEllipsoid(q, p.liver)) return { hu: 60, label: 0 };
  // Subcutaneous fat: the outer shell of the body ellipse.
  return { hu: e > 0.8 ? -100 : 45, label: 0 };
}

/** Random geometry: anisotropic spacing, offset origin, and the given direction. */
export function makeGeometry(rng: Rng, direction: Mat3): ImageGeometry {
  const round = (v: number) => Math.round(v * 100) / 100;
  const spacing: Vec3 = [round(rng.uniform(4.6, 5.4)), 0, round(rng.uniform(4, 6))];
  spacing[1] = spacing[0];
  // Centre the field of view on the world origin (plus jitter) whatever the direction.
  const half: Vec3 = [((CT_SIZE - 1) / 2) * spacing[0], ((CT_SIZE - 1) / 2) * spacing[1], ((CT_SIZE - 1) / 2) * spacing[2]];
  const d = direction;
  const centreOffset: Vec3 = [d[0] * half[0] + d[1] * half[1] + d[2] * half[2], d[3] * half[0] + d[4] * half[1] + d[5] * half[2], d[6] * half[0] + d[7] * half[1] + d[8] * half[2]];
  const shift: Vec3 = [round(rng.uniform(-20, 20)), round(rng.uniform(-20, 20)), round(rng.uniform(-300, -100))];
  return { spacing, direction, origin: [round(shift[0] - centreOffset[0]), round(shift[1] - centreOffset[1]), round(shift[2] - centreOffset[2])] };
}

/** Renders one case: 2x2x2 supersampled HU (partial volume), centre-sampled labels, noise. */
export function renderCtCase(rng: Rng, geometry: ImageGeometry, nodules: number): CtCase {
  const p = makePatient(rng, nodules);
  const n = CT_SIZE;
  const hu = new Int16Array(n * n * n);
  const labels = new Uint8Array(n * n * n);
  // World position of the patient centre: the FOV centre plus the patient's own offset.
  const fovCentre = voxelToWorld(geometry, [(n - 1) / 2, (n - 1) / 2, (n - 1) / 2]);
  const centre: Vec3 = [fovCentre[0] + p.centre[0], fovCentre[1] + p.centre[1], fovCentre[2] + p.centre[2]];
  const rel = (idx: Vec3): Vec3 => {
    const w = voxelToWorld(geometry, idx);
    return [w[0] - centre[0], w[1] - centre[1], w[2] - centre[2]];
  };
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        let sum = 0;
        for (const o of [-0.25, 0.25]) for (const q of [-0.25, 0.25]) for (const r of [-0.25, 0.25]) sum += tissue(p, rel([i + o, j + q, k + r])).hu;
        const at = (k * n + j) * n + i;
        labels[at] = tissue(p, rel([i, j, k])).label;
        hu[at] = Math.round(sum / 8 + rng.normal() * 8);
      }
    }
  }
  const out: CtCase['nodules'] = p.nodules.map((nd) => {
    const c: Vec3 = [centre[0] + nd.rel[0], centre[1] + nd.rel[1], centre[2] + nd.rel[2]];
    return { center: c, radius: nd.radius, voxelBox: { min: [0, 0, 0], max: [0, 0, 0] } };
  });
  // Each nodule's voxel box: the extent of its label-2 voxels nearest to its centre.
  out.forEach((nd, idx) => {
    const min: Vec3 = [n, n, n];
    const max: Vec3 = [-1, -1, -1];
    for (let k = 0; k < n; k++) {
      for (let j = 0; j < n; j++) {
        for (let i = 0; i < n; i++) {
          if (labels[(k * n + j) * n + i] !== CT_LABELS.nodule) continue;
          const w = voxelToWorld(geometry, [i, j, k]);
          const nearest = out.reduce((b, m, mi) => (Math.hypot(w[0] - m.center[0], w[1] - m.center[1], w[2] - m.center[2]) < Math.hypot(w[0] - out[b]!.center[0], w[1] - out[b]!.center[1], w[2] - out[b]!.center[2]) ? mi : b), 0);
          if (nearest !== idx) continue;
          const v: Vec3 = [i, j, k];
          for (let a = 0; a < 3; a++) {
            min[a] = Math.min(min[a]!, v[a]!);
            max[a] = Math.max(max[a]!, v[a]!);
          }
        }
      }
    }
    // Voxel boxes are continuous: voxels lo..hi span lo-0.5 .. hi+0.5.
    nd.voxelBox = { min: [min[0] - 0.5, min[1] - 0.5, min[2] - 0.5], max: [max[0] + 0.5, max[1] + 0.5, max[2] + 0.5] };
  });
  return { geometry, hu, labels, nodules: out.filter((nd) => nd.voxelBox.max[0] > nd.voxelBox.min[0]) };
}
