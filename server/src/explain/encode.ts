/** Float32 voxels <-> the protocol's base64 (little-endian, as every supported host is). */
import type { Float32Base64 } from '../protocol';

export function float32ToBase64(a: Float32Array): Float32Base64 {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

export function base64ToFloat32(s: Float32Base64): Float32Array {
  const bytes = Buffer.from(s, 'base64');
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
