/** One entry point per source kind, all giving a Volume (or a clear error). */
import type { VolumeSource } from '../../../../server/src/protocol/viewer';
import { typedView, tooLargeMessage, voxelBytes, voxelCount, type Volume } from '../../common/render/volume';
import { NIFTI1_HEADER_BYTES, parseNiftiHeader, swapBytes } from './nifti';
import { readAll } from './stream';

/**
 * Called while a volume streams in: the volume (its buffer still filling) and how many voxel
 * bytes are in, so the first slice can be shown before the last one has arrived.
 */
export type PartialVolume = (v: Volume, voxelBytesReady: number) => void;

export async function loadVolume(src: VolumeSource, maxBytes: number, partial?: PartialVolume): Promise<Volume> {
  if (src.kind === 'nifti') return loadNifti(src.url, src.name, maxBytes, partial);
  if (src.kind === 'raw') {
    const bytes = voxelBytes(src.header);
    if (bytes > maxBytes) throw new Error(tooLargeMessage(src.name, bytes, maxBytes));
    let early: Volume | undefined;
    const progress = (out: Uint8Array, filled: number) => {
      if (!partial || out.byteLength < bytes) return;
      early ??= { header: src.header, name: src.name, data: typedView(src.header.voxelType, out.buffer as ArrayBuffer, out.byteOffset, voxelCount(src.header)) };
      partial(early, filled);
    };
    const buf = await readAll(src.url, { gzip: false, sizeFromHead: () => bytes, progress });
    if (buf.byteLength < bytes) throw new Error(`${src.name}: decoded voxels are ${buf.byteLength} bytes, expected ${bytes}`);
    return { header: src.header, name: src.name, data: typedView(src.header.voxelType, buf.buffer as ArrayBuffer, buf.byteOffset, voxelCount(src.header)) };
  }
  return loadBitmap(src.url, src.name);
}

async function loadNifti(url: string, name: string, maxBytes: number, partial?: PartialVolume): Promise<Volume> {
  const gzip = /\.gz$/i.test(name) || /\.gz(\?|$)/i.test(url);
  let layout: ReturnType<typeof parseNiftiHeader> | undefined;
  let early: Volume | undefined;
  const bytes = await readAll(url, {
    progress: (out, filled) => {
      // Big-endian files are swapped at the end: no early display for them.
      if (!partial || !layout?.littleEndian || out.byteLength < layout.voxOffset + voxelBytes(layout.header)) return;
      early ??= { header: layout.header, name, data: typedView(layout.header.voxelType, out.buffer as ArrayBuffer, out.byteOffset + layout.voxOffset, voxelCount(layout.header)) };
      partial(early, Math.max(0, filled - layout.voxOffset));
    },
    gzip,
    sizeFromHead: (head) => {
      if (head.byteLength < NIFTI1_HEADER_BYTES) return undefined;
      layout = parseNiftiHeader(head, name);
      return layout.voxOffset + voxelBytes(layout.header);
    },
    check: () => {
      const need = voxelBytes(layout!.header);
      if (need > maxBytes) throw new Error(tooLargeMessage(name, need, maxBytes));
    },
  });
  layout ??= parseNiftiHeader(bytes, name);
  const need = voxelBytes(layout.header);
  if (bytes.byteLength < layout.voxOffset + need) throw new Error(`${name}: file is truncated (${bytes.byteLength} bytes, the header needs ${layout.voxOffset + need})`);
  const voxels = bytes.subarray(layout.voxOffset, layout.voxOffset + need);
  if (!layout.littleEndian) swapBytes(voxels, layout.valueBytes);
  return { header: layout.header, name, data: typedView(layout.header.voxelType, bytes.buffer as ArrayBuffer, bytes.byteOffset + layout.voxOffset, voxelCount(layout.header)) };
}

/** PNG/JPEG through the browser's decoder: RGB, or one channel when the image is grey. */
async function loadBitmap(url: string, name: string): Promise<Volume> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not read ${name} (HTTP ${res.status})`);
  const bmp = await createImageBitmap(await res.blob());
  const c = new OffscreenCanvas(bmp.width, bmp.height);
  const ctx = c.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas available');
  ctx.drawImage(bmp, 0, 0);
  const rgba = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
  const n = bmp.width * bmp.height;
  let grey = true;
  for (let i = 0; i < n && grey; i += 7) grey = rgba[i * 4] === rgba[i * 4 + 1] && rgba[i * 4] === rgba[i * 4 + 2];
  const comps = grey ? 1 : 3;
  const data = new Uint8Array(n * comps);
  for (let i = 0; i < n; i++) for (let k = 0; k < comps; k++) data[i * comps + k] = rgba[i * 4 + k]!;
  return {
    name,
    data,
    header: {
      dims: [bmp.width, bmp.height, 1],
      frames: 1,
      components: comps,
      spacing: [1, 1, 1],
      origin: [0, 0, 0],
      direction: [1, 0, 0, 0, 1, 0, 0, 0, 1],
      voxelType: 'uint8',
      slope: 1,
      intercept: 0,
      meta: { format: name.toLowerCase().endsWith('.png') ? 'PNG' : 'JPEG', size: `${bmp.width} x ${bmp.height}`, channels: grey ? 'grey' : 'RGB' },
    },
  };
}
