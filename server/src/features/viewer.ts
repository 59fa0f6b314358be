/**
 * Viewer decoding in the compute server: DICOM (file or series), NRRD, MetaImage and anything
 * else itk-wasm reads, written as raw little-endian voxels that the webview fetches directly
 * (no base64 through two message hops). NIfTI and PNG/JPEG never come here: the webview
 * decodes those itself, faster.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Image } from 'itk-wasm';
import type { ServerFeature } from './types';
import { onRequest, invalidParams } from '../lsp/typed';
import { ViewerDecodeRequest, type VolumeHeader, type VoxelType } from '../protocol';

const VOXEL_TYPES: Record<string, VoxelType> = {
  uint8: 'uint8', int8: 'int8', uint16: 'uint16', int16: 'int16', uint32: 'uint32', int32: 'int32', float32: 'float32', float64: 'float64',
};

/** Technical DICOM tags shown in the header panel (no patient identifiers). */
const DICOM_TAGS: Record<string, string> = {
  '0008|0060': 'modality',
  '0008|103e': 'series description',
  '0008|0070': 'manufacturer',
  '0018|0050': 'slice thickness',
  '0018|0060': 'kVp',
  '0018|5100': 'patient position',
  '0020|0037': 'image orientation',
  '0028|0100': 'bits allocated',
  '0028|1052': 'rescale intercept',
  '0028|1053': 'rescale slope',
  '0028|1050': 'window center',
  '0028|1051': 'window width',
};

/** The curated tags of one DICOM file (first value of multi-valued window tags). */
export async function dicomTags(file: string): Promise<Record<string, string>> {
  const { readDicomTagsNode } = await import('@itk-wasm/dicom');
  const { tags } = await readDicomTagsNode(file, { tagsToRead: { tags: Object.keys(DICOM_TAGS) } });
  const out: Record<string, string> = {};
  for (const [k, v] of tags as [string, string][]) if (DICOM_TAGS[k] && String(v).trim()) out[k] = String(v).trim();
  return out;
}

/** Reads one image or a DICOM series with itk-wasm (loaded on first use: it is ESM and large). */
export async function readForViewer(paths: string[]): Promise<Image> {
  if (!paths.length) throw new Error('no file to decode');
  for (const p of paths) if (!fs.existsSync(p)) throw new Error(`${p}: no such file`);
  const dicom = paths.length > 1 || /\.(dcm|dicom|ima)$/i.test(paths[0]!) || isDicom(paths[0]!);
  if (dicom) {
    const { readImageDicomFileSeriesNode } = await import('@itk-wasm/dicom');
    const r = await readImageDicomFileSeriesNode({ inputImages: paths, singleSortedSeries: false });
    return r.outputImage;
  }
  const { readImageNode } = await import('@itk-wasm/image-io');
  return readImageNode(paths[0]!);
}

function isDicom(p: string): boolean {
  try {
    const fd = fs.openSync(p, 'r');
    const b = Buffer.alloc(132);
    fs.readSync(fd, b, 0, 132, 0);
    fs.closeSync(fd);
    return b.toString('latin1', 128, 132) === 'DICM';
  } catch {
    return false;
  }
}

/** itk-wasm Image -> the viewer's header (3D view of 2D/3D/4D images, LPS). */
export function headerOf(img: Image, name: string): VolumeHeader {
  const dim = img.imageType.dimension;
  const type = VOXEL_TYPES[img.imageType.componentType];
  if (!type) throw new Error(`${name}: pixel component type ${img.imageType.componentType} is not supported by the viewer`);
  const comps = img.imageType.components;
  if (comps !== 1 && comps !== 3 && comps !== 4) throw new Error(`${name}: ${comps} components per pixel are not supported (1, 3 or 4)`);
  const size = [...img.size];
  const at = (a: number[] | Float64Array, i: number, d: number) => (i < a.length ? Number(a[i]) : d);
  const dirAt = (r: number, c: number) => (r < dim && c < dim ? Number(img.direction[r * dim + c]) : r === c ? 1 : 0);
  const meta: Record<string, string> = { format: path.extname(name).replace('.', '').toUpperCase() || 'image', 'read by': 'itk-wasm (server)' };
  let modality: string | undefined;
  const md = img.metadata as unknown;
  const entries: [string, unknown][] = md instanceof Map ? [...(md as Map<string, unknown>).entries()] : Array.isArray(md) ? (md as [string, unknown][]) : [];
  for (const [k, v] of entries.slice(0, 60)) {
    if (typeof v !== 'string' && typeof v !== 'number') continue;
    meta[k] = String(v).trim();
    if (k === '0008|0060') modality = String(v).trim();
  }
  return {
    dims: [size[0] ?? 1, size[1] ?? 1, size[2] ?? 1],
    frames: size[3] ?? 1,
    components: comps === 4 ? 4 : comps,
    spacing: [at(img.spacing, 0, 1), at(img.spacing, 1, 1), at(img.spacing, 2, 1)],
    origin: [at(img.origin, 0, 0), at(img.origin, 1, 0), at(img.origin, 2, 0)],
    direction: [dirAt(0, 0), dirAt(0, 1), dirAt(0, 2), dirAt(1, 0), dirAt(1, 1), dirAt(1, 2), dirAt(2, 0), dirAt(2, 1), dirAt(2, 2)],
    voxelType: type,
    slope: 1,
    intercept: 0,
    modality,
    meta,
  };
}

/** Decodes and writes the voxels atomically to `outFile`; refuses volumes over `maxBytes`. */
export async function decodeToRaw(paths: string[], outFile: string, maxBytes: number): Promise<{ header: VolumeHeader; ms: number }> {
  const t0 = Date.now();
  const img = await readForViewer(paths);
  const name = path.basename(paths[0]!);
  const header = headerOf(img, name);
  if (img.metadata instanceof Map && img.metadata.size === 0 && (paths.length > 1 || /\.(dcm|dicom|ima)$/i.test(paths[0]!) || isDicom(paths[0]!))) {
    const tags = await dicomTags(paths[0]!).catch(() => ({}) as Record<string, string>);
    header.meta.format = 'DICOM';
    for (const [k, v] of Object.entries(tags)) header.meta[DICOM_TAGS[k]!] = v;
    if (tags['0008|0060']) header.modality = tags['0008|0060'];
    const c = parseFloat(tags['0028|1050'] ?? '');
    const w = parseFloat(tags['0028|1051'] ?? '');
    if (Number.isFinite(c) && w > 0) header.defaultWindow = { center: c, width: w };
  }
  const data = img.data;
  if (!data) throw new Error(`${name}: no pixel data`);
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength > maxBytes) throw new Error(`${name} holds ${Math.round(bytes.byteLength / 1048576)} MB of voxels, more than the viewer's limit of ${Math.round(maxBytes / 1048576)} MB`);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const tmp = `${outFile}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, bytes); // typed arrays are little-endian on every platform Node runs on
  fs.renameSync(tmp, outFile);
  return { header, ms: Date.now() - t0 };
}

export const viewerFeature: ServerFeature = {
  name: 'viewer',
  register(ctx) {
    onRequest(ctx.connection, ViewerDecodeRequest, async (p) => {
      if (!Array.isArray(p.paths) || !p.paths.length || typeof p.outFile !== 'string') invalidParams('viewer/decode needs paths (at least one) and outFile');
      const r = await decodeToRaw(p.paths, p.outFile, p.maxBytes);
      ctx.log(`viewer: decoded ${path.basename(p.paths[0]!)}${p.paths.length > 1 ? ` (+${p.paths.length - 1} files)` : ''} in ${r.ms} ms`);
      return r;
    });
  },
};
