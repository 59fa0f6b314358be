/** One entry point per source kind, all giving a Volume (or a clear error). */
import type { VolumeSource } from '../../../../server/src/protocol/viewer';
import { typedView, tooLargeMessage, voxelBytes, voxelCount, type Volume } from '../../common/render/volume';
import { NIFTI1_HEADER_BYTES, parseNiftiHeader, swapBytes } from './nifti';
import { readAll } from './stream';

export async function loadVolume(src: VolumeSource, maxBytes: number): Promise<Volume> {
  if (src.kind === 'nifti') return loadNifti(src.url, src.name, maxBytes);
  if (src.kind === 'raw') {
    const bytes = voxelBytes(src.header);
    if (bytes > maxBytes) throw new Error(tooLargeMessage(src.name, bytes, maxBytes));
    const buf = await readAll(src.url, { gzip: false, sizeFromHead: () => bytes });
    if (buf.byteLength < bytes) throw new Error(`${src.name}: decoded voxels are ${buf.byteLength} bytes, expected ${bytes}`);
    return { header: src.header, name: src.name, data: typedView(src.header.voxelType, buf.buffer as ArrayBuffer, buf.byteOffset, voxelCount(src.header)) };
  }
  return loadBitmap(src.url, src.name);
}

async function loadNifti(url: string, name: string, maxBytes: number): Promise<Volume> {
  const gzip = /\.gz$/i.test(name) || /\.gz(\?|$)/i.test(url);
  let layout: ReturnType<typeof parseNiftiHeader> | undefined;
  const bytes = await readAll(url, {
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
