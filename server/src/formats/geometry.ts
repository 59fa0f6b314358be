/**
 * Image geometry as ITK defines it, in LPS world coordinates (millimetres):
 *   world = origin + direction * diag(spacing) * index
 * `direction` is row-major 3x3 whose COLUMNS are the directions of the voxel axes i, j, k.
 * Continuous index coordinates put voxel centres on integers. Pure and dependency-free.
 */

export type Vec3 = [number, number, number];
/** Row-major 3x3. */
export type Mat3 = [number, number, number, number, number, number, number, number, number];
/** Row-major 4x4 homogeneous transform. */
export type Mat4 = number[];

export interface ImageGeometry {
  origin: Vec3;
  spacing: Vec3;
  direction: Mat3;
}

export const IDENTITY3: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function mat3MulVec(m: Mat3, v: Vec3): Vec3 {
  return [m[0] * v[0] + m[1] * v[1] + m[2] * v[2], m[3] * v[0] + m[4] * v[1] + m[5] * v[2], m[6] * v[0] + m[7] * v[1] + m[8] * v[2]];
}

export function mat3Mul(a: Mat3, b: Mat3): Mat3 {
  const r = new Array<number>(9).fill(0);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 3; k++) r[i * 3 + j]! += a[i * 3 + k]! * b[k * 3 + j]!;
  return r as Mat3;
}

export function mat3Transpose(m: Mat3): Mat3 {
  return [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]];
}

export function mat3Det(m: Mat3): number {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/** Inverse of a 3x3; throws on a singular matrix (a direction with parallel axes). */
export function mat3Invert(m: Mat3): Mat3 {
  const det = mat3Det(m);
  if (!Number.isFinite(det) || Math.abs(det) < 1e-12) throw new Error('singular 3x3 matrix (direction axes are not independent)');
  const inv = 1 / det;
  return [
    (m[4] * m[8] - m[5] * m[7]) * inv,
    (m[2] * m[7] - m[1] * m[8]) * inv,
    (m[1] * m[5] - m[2] * m[4]) * inv,
    (m[5] * m[6] - m[3] * m[8]) * inv,
    (m[0] * m[8] - m[2] * m[6]) * inv,
    (m[2] * m[3] - m[0] * m[5]) * inv,
    (m[3] * m[7] - m[4] * m[6]) * inv,
    (m[1] * m[6] - m[0] * m[7]) * inv,
    (m[0] * m[4] - m[1] * m[3]) * inv,
  ];
}

/** index -> world (LPS mm) as a row-major 4x4. */
export function voxelToWorldMatrix(g: ImageGeometry): Mat4 {
  const d = g.direction;
  const s = g.spacing;
  return [
    d[0] * s[0], d[1] * s[1], d[2] * s[2], g.origin[0],
    d[3] * s[0], d[4] * s[1], d[5] * s[2], g.origin[1],
    d[6] * s[0], d[7] * s[1], d[8] * s[2], g.origin[2],
    0, 0, 0, 1,
  ];
}

/** world (LPS mm) -> continuous index as a row-major 4x4. */
export function worldToVoxelMatrix(g: ImageGeometry): Mat4 {
  const a: Mat3 = [
    g.direction[0] * g.spacing[0], g.direction[1] * g.spacing[1], g.direction[2] * g.spacing[2],
    g.direction[3] * g.spacing[0], g.direction[4] * g.spacing[1], g.direction[5] * g.spacing[2],
    g.direction[6] * g.spacing[0], g.direction[7] * g.spacing[1], g.direction[8] * g.spacing[2],
  ];
  const inv = mat3Invert(a);
  const t = mat3MulVec(inv, g.origin);
  return [inv[0], inv[1], inv[2], -t[0], inv[3], inv[4], inv[5], -t[1], inv[6], inv[7], inv[8], -t[2], 0, 0, 0, 1];
}

export function applyMat4(m: Mat4, p: Vec3): Vec3 {
  return [
    m[0]! * p[0] + m[1]! * p[1] + m[2]! * p[2] + m[3]!,
    m[4]! * p[0] + m[5]! * p[1] + m[6]! * p[2] + m[7]!,
    m[8]! * p[0] + m[9]! * p[1] + m[10]! * p[2] + m[11]!,
  ];
}

export function voxelToWorld(g: ImageGeometry, index: Vec3): Vec3 {
  return applyMat4(voxelToWorldMatrix(g), index);
}

export function worldToVoxel(g: ImageGeometry, world: Vec3): Vec3 {
  return applyMat4(worldToVoxelMatrix(g), world);
}

/** LPS <-> RAS: negate the first two world axes (the map is its own inverse). */
export function flipLpsRas(p: Vec3): Vec3 {
  return [-p[0], -p[1], p[2]];
}

/**
 * ITK-style orientation code: for each voxel axis, the LPS letter it points to most
 * (L/R, P/A, S/I), e.g. "LPS" for the identity, "RAS" for diag(-1, -1, 1).
 */
export function orientationCode(direction: Mat3): string {
  const letters = [
    ['L', 'R'],
    ['P', 'A'],
    ['S', 'I'],
  ];
  let code = '';
  for (let c = 0; c < 3; c++) {
    const col = [direction[c], direction[3 + c], direction[6 + c]] as const;
    let best = 0;
    for (let r = 1; r < 3; r++) if (Math.abs(col[r]!) > Math.abs(col[best]!)) best = r;
    code += letters[best]![col[best]! >= 0 ? 0 : 1];
  }
  return code;
}
