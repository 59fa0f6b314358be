/**
 * The queue in a checkpoint's state.json: float32 bytes as base64 (the checkpoint's `extra` is
 * JSON; a 4096 x 128 queue is 2 MiB raw, 2.7 MiB encoded).
 */
import type { QueueSnapshot } from './queue';

export interface EncodedQueue {
  size: number;
  dim: number;
  ptr: number;
  float32Base64: string;
}

export async function encodeQueue(q: { snapshot(): Promise<QueueSnapshot> }): Promise<EncodedQueue> {
  const s = await q.snapshot();
  return { size: s.size, dim: s.dim, ptr: s.ptr, float32Base64: Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength).toString('base64') };
}

export function decodeQueue(e: EncodedQueue): QueueSnapshot {
  const bytes = Buffer.from(e.float32Base64, 'base64');
  if (bytes.byteLength !== e.size * e.dim * 4) throw new Error(`checkpoint queue has ${bytes.byteLength} bytes, expected ${e.size * e.dim * 4}`);
  const data = new Float32Array(e.size * e.dim);
  new Uint8Array(data.buffer).set(bytes);
  return { size: e.size, dim: e.dim, ptr: e.ptr, data };
}
