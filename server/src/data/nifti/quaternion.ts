/**
 * NIfTI qform quaternions <-> rotation matrices, ported from nifti1_io.c
 * (nifti_mat44_to_quatern / nifti_quatern_to_mat44). Matrices are row-major 3x3 in RAS.
 */
import type { Mat3 } from '../../formats/geometry';

export interface Quatern {
  b: number;
  c: number;
  d: number;
  /** -1 when the third axis is flipped (a left-handed frame). */
  qfac: 1 | -1;
}

/** Rotation part of a direction matrix (columns unit length) as a quaternion + qfac. */
export function matToQuatern(m: Mat3): Quatern {
  const [r11, r12, , r21, r22, , r31, r32] = m;
  let [r13, r23, r33] = [m[2], m[5], m[8]];
  const det = r11 * (r22 * r33 - r32 * r23) - r12 * (r21 * r33 - r31 * r23) + r13 * (r21 * r32 - r31 * r22);
  let qfac: 1 | -1 = 1;
  if (det < 0) {
    qfac = -1;
    r13 = -r13;
    r23 = -r23;
    r33 = -r33;
  }
  let a = r11 + r22 + r33 + 1;
  let b: number;
  let c: number;
  let d: number;
  if (a > 0.5) {
    a = 0.5 * Math.sqrt(a);
    b = (0.25 * (r32 - r23)) / a;
    c = (0.25 * (r13 - r31)) / a;
    d = (0.25 * (r21 - r12)) / a;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      b = 0.5 * Math.sqrt(xd);
      c = (0.25 * (r12 + r21)) / b;
      d = (0.25 * (r13 + r31)) / b;
      a = (0.25 * (r32 - r23)) / b;
    } else if (yd > 1) {
      c = 0.5 * Math.sqrt(yd);
      b = (0.25 * (r12 + r21)) / c;
      d = (0.25 * (r23 + r32)) / c;
      a = (0.25 * (r13 - r31)) / c;
    } else {
      d = 0.5 * Math.sqrt(zd);
      b = (0.25 * (r13 + r31)) / d;
      c = (0.25 * (r23 + r32)) / d;
      a = (0.25 * (r21 - r12)) / d;
    }
    if (a < 0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  return { b, c, d, qfac };
}

/** The rotation (with qfac applied to the third column) a quaternion stands for. */
export function quaternToMat(q: Quatern): Mat3 {
  let { b, c, d } = q;
  let a = 1 - (b * b + c * c + d * d);
  if (a < 1e-7) {
    // Round-off made the quaternion slightly too long: renormalise, a = 0 (a 180-degree turn).
    const s = 1 / Math.sqrt(b * b + c * c + d * d);
    b *= s;
    c *= s;
    d *= s;
    a = 0;
  } else {
    a = Math.sqrt(a);
  }
  const f = q.qfac;
  return [
    a * a + b * b - c * c - d * d, 2 * (b * c - a * d), f * 2 * (b * d + a * c),
    2 * (b * c + a * d), a * a + c * c - b * b - d * d, f * 2 * (c * d - a * b),
    2 * (b * d - a * c), 2 * (c * d + a * b), f * (a * a + d * d - c * c - b * b),
  ];
}
