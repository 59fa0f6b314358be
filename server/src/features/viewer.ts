/**
 * Viewer decoding in the compute server, for the formats the webview does not parse itself
 * (DICOM file or series, NRRD, MetaImage, JPEG): read with the shared readers (readImage, which
 * uses itk-wasm for these) and written as raw little-endian voxels that the webview fetches
 * directly (no base64 through two message hops).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ServerFeature } from './types';
import { onRequest } from '../lsp/typed';
import { requestPath } from './paths';
import { ViewerDecodeRequest, type VolumeHeader } from '../protocol';
import { listDicomSeries, readDicomSeries, readImage, type MedImage } from '../data/readers';
import { FORMAT_NAMES, isDicomFile } from '../data/readers/sniff';

/** Technical DICOM tags shown in the header panel (no patient identifiers). */
const DICOM_TAGS: Record<string, string> = {
  '0008|0060': 'modality',
  '0008|103e': 'series description',
  '0008|0070': 'manufacturer',
  '0018|0050': 'slice thickness',
  '0018|0060': 'kVp',
  '0018|5100': 'patient position',
  '0028|1052': 'rescale intercept',
  '0028|1053': 'rescale slope',
  '0028|1050': 'window center',
  '0028|1051': 'window width',
};

/** The curated tags of one DICOM file. */
async function dicomTags(file: string): Promise<Record<string, string>> {
  const { readDicomTagsNode } = await import('@itk-wasm/dicom');
  const { tags } = await readDicomTagsNode(file, { tagsToRead: { tags: Object.keys(DICOM_TAGS) } });
  const out: Record<string, string> = {};
  for (const [k, v] of tags as [string, string][]) if (DICOM_TAGS[k] && String(v).trim()) out[k] = String(v).trim();
  return out;
}

/**
 * Reads what the viewer opened: a DICOM file brings its whole series (the series of its folder
 * that holds it), a folder its one series, anything else the file itself.
 */
export async function readForViewer(target: string, maxBytes: number): Promise<{ image: MedImage; seriesFiles?: number }> {
  if (fs.existsSync(target) && fs.statSync(target).isFile() && isDicomFile(target)) {
    const dir = path.dirname(target);
    const series = (await listDicomSeries(dir)).find((s) => s.files.includes(path.resolve(target)));
    if (series && series.files.length > 1) return { image: await readDicomSeries(dir, { seriesId: series.id, maxBytes }), seriesFiles: series.files.length };
  }
  return { image: await readImage(target, { maxBytes }) };
}

/** MedImage -> the viewer's header (3D view of 2D/3D/4D images, LPS). */
export function headerOf(img: MedImage, name: string): VolumeHeader {
  return {
    dims: [img.dims[0] ?? 1, img.dims[1] ?? 1, img.dims[2] ?? 1],
    frames: img.dims[3] ?? 1,
    components: img.components,
    spacing: [...img.spacing],
    origin: [...img.origin],
    direction: [...img.direction],
    voxelType: img.pixelType,
    slope: 1,
    intercept: 0,
    meta: { file: name, format: FORMAT_NAMES[img.format] ?? img.format, 'read by': 'server (readImage, itk-wasm)' },
  };
}

/** Decodes and writes the voxels atomically to `outFile`; the readers refuse volumes over `maxBytes`. */
export async function decodeToRaw(target: string, outFile: string, maxBytes: number): Promise<{ header: VolumeHeader; ms: number }> {
  const t0 = Date.now();
  const { image, seriesFiles } = await readForViewer(target, maxBytes);
  const header = headerOf(image, path.basename(target));
  if (seriesFiles) header.meta['series files'] = String(seriesFiles);
  if (image.format === 'dicom' || image.format === 'dicom-series') {
    const first = fs.statSync(target).isFile() ? target : undefined;
    const tags = first ? await dicomTags(first).catch(() => ({}) as Record<string, string>) : {};
    for (const [k, v] of Object.entries(tags)) header.meta[DICOM_TAGS[k]!] = v;
    if (tags['0008|0060']) header.modality = tags['0008|0060'];
    const c = parseFloat(tags['0028|1050'] ?? '');
    const w = parseFloat(tags['0028|1051'] ?? '');
    if (Number.isFinite(c) && w > 0) header.defaultWindow = { center: c, width: w };
  }
  const d = image.data;
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const tmp = `${outFile}.${process.pid}.tmp`;
  // Typed arrays are little-endian on every platform Node runs on.
  fs.writeFileSync(tmp, new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  fs.renameSync(tmp, outFile);
  return { header, ms: Date.now() - t0 };
}

export const viewerFeature: ServerFeature = {
  name: 'viewer',
  register(ctx) {
    onRequest(ctx.connection, ViewerDecodeRequest, async (p) => {
      const file = requestPath(ctx, p.path, 'path', 'read');
      const outFile = requestPath(ctx, p.outFile, 'outFile', 'decodeOut');
      const r = await decodeToRaw(file, outFile, p.maxBytes);
      ctx.log(`viewer: decoded ${path.basename(file)} in ${r.ms} ms`);
      return r;
    });
  },
};
