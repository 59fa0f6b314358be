/**
 * DICOM series in a folder: told apart by Series Instance UID (and, within one UID, by image
 * orientation and size, so a localizer does not join the axial stack), slices sorted by their
 * position along the slice normal, then read as one volume through itk-wasm's DICOM pipeline.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDicomHeader, type DicomHeader } from './dicomTags';
import { checkSize, ImageReadError } from './errors';
import { describeItkError, fromItkImage, loadDicomIo } from './itk';
import { DEFAULT_MAX_BYTES, type MedImage, type ReadImageOptions } from './types';

export interface DicomSeriesInfo {
  /** Series Instance UID, with a ".2", ".3" suffix where one UID holds differently shaped stacks. */
  id: string;
  description?: string;
  modality?: string;
  seriesNumber?: number;
  rows?: number;
  columns?: number;
  /** Absolute paths, sorted by position along the slice normal (then instance number, name). */
  files: string[];
}

function normalOf(h: DicomHeader): [number, number, number] | null {
  const o = h.imageOrientationPatient;
  if (!o) return null;
  return [o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]];
}

/** Lists the DICOM series in a folder (not recursive), reading headers only. */
export async function listDicomSeries(folder: string): Promise<DicomSeriesInfo[]> {
  const abs = path.resolve(folder);
  let names: string[];
  try {
    names = (await fs.promises.readdir(abs, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name).sort();
  } catch {
    throw new ImageReadError(abs, 'not-found', 'is not a readable folder');
  }
  const groups = new Map<string, { h: DicomHeader; file: string }[]>();
  for (const name of names) {
    const file = path.join(abs, name);
    const fd = await fs.promises.open(file, 'r');
    let h: DicomHeader | null;
    try {
      // Headers sit at the start; 64 KiB holds them in all but exotic files, then read it all.
      const buf = new Uint8Array(64 * 1024);
      const { bytesRead } = await fd.read(buf, 0, buf.length, 0);
      h = readDicomHeader(buf.subarray(0, bytesRead));
      if (h && !h.seriesInstanceUid && bytesRead === buf.length) h = readDicomHeader(await fs.promises.readFile(file));
    } finally {
      await fd.close();
    }
    if (!h) continue;
    const o = h.imageOrientationPatient?.map((x) => x.toFixed(3)).join(',') ?? '';
    const key = `${h.seriesInstanceUid ?? '(no series uid)'}|${o}|${h.rows ?? 0}x${h.columns ?? 0}`;
    const list = groups.get(key) ?? [];
    list.push({ h, file });
    groups.set(key, list);
  }
  const seen = new Map<string, number>();
  const out: DicomSeriesInfo[] = [];
  for (const members of groups.values()) {
    const first = members[0]!.h;
    const n = normalOf(first);
    const pos = (h: DicomHeader) => (n && h.imagePositionPatient ? h.imagePositionPatient[0] * n[0] + h.imagePositionPatient[1] * n[1] + h.imagePositionPatient[2] * n[2] : 0);
    members.sort((a, b) => pos(a.h) - pos(b.h) || (a.h.instanceNumber ?? 0) - (b.h.instanceNumber ?? 0) || a.file.localeCompare(b.file));
    const uid = first.seriesInstanceUid ?? '(no series uid)';
    const k = (seen.get(uid) ?? 0) + 1;
    seen.set(uid, k);
    const info: DicomSeriesInfo = { id: k === 1 ? uid : `${uid}.${k}`, files: members.map((m) => m.file) };
    if (first.seriesDescription) info.description = first.seriesDescription;
    if (first.modality) info.modality = first.modality;
    if (first.seriesNumber !== undefined) info.seriesNumber = first.seriesNumber;
    if (first.rows !== undefined) info.rows = first.rows;
    if (first.columns !== undefined) info.columns = first.columns;
    out.push(info);
  }
  return out.sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0) || a.id.localeCompare(b.id));
}

/**
 * Reads one series of a folder as a volume. With several series in the folder, `seriesId`
 * (an id from listDicomSeries) says which; without it that is an 'ambiguous-series' error
 * listing them.
 */
export async function readDicomSeries(folder: string, opts: ReadImageOptions & { seriesId?: string } = {}): Promise<MedImage> {
  const abs = path.resolve(folder);
  const all = await listDicomSeries(abs);
  if (!all.length) throw new ImageReadError(abs, 'no-series', 'holds no DICOM files');
  let series: DicomSeriesInfo | undefined;
  if (opts.seriesId) {
    series = all.find((s) => s.id === opts.seriesId);
    if (!series) throw new ImageReadError(abs, 'no-series', `has no series ${opts.seriesId} (it has ${all.map((s) => s.id).join(', ')})`);
  } else if (all.length === 1) series = all[0]!;
  else {
    const list = all.map((s) => `${s.id}${s.description ? ` "${s.description}"` : ''} (${s.files.length} files)`).join('; ');
    throw new ImageReadError(abs, 'ambiguous-series', `holds ${all.length} DICOM series; choose one: ${list}`);
  }
  checkSize(abs, [series.columns ?? 1, series.rows ?? 1, series.files.length], 1, 4, opts.maxBytes ?? DEFAULT_MAX_BYTES, 'DICOM series');
  const io = await loadDicomIo();
  try {
    const { outputImage } = await io.readImageDicomFileSeriesNode({ inputImages: series.files, singleSortedSeries: true });
    const img = fromItkImage(abs, 'dicom-series', outputImage);
    return img;
  } catch (e) {
    if (e instanceof ImageReadError) throw e;
    throw new ImageReadError(abs, 'corrupt', `series ${series.id} could not be read (${describeItkError(e)})`);
  }
}
