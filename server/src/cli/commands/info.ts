/**
 * `medstudio info <file-or-folder>...`: the header of any image MedStudio reads — dimensions,
 * spacing, origin, direction, pixel type, value range. A folder lists its DICOM series and
 * describes each one.
 */
import * as fs from 'node:fs';
import { listDicomSeries, readDicomSeries, readImage, type MedImage } from '../../data/readers';
import { FORMAT_NAMES } from '../../data/readers/sniff';
import { orientationCode } from '../../formats/geometry';
import { UsageError, type CliCommand } from '../types';

/** The JSON-able header of an image (everything but the voxels and the 4x4 matrices). */
export interface ImageInfo {
  path: string;
  format: string;
  dims: number[];
  spatialDims: 2 | 3;
  components: number;
  pixelType: string;
  spacing: number[];
  origin: number[];
  direction: number[];
  orientation: string;
  min: number;
  max: number;
  timeStep?: number;
  series?: { id: string; description?: string; modality?: string; files: number };
}

export function imageInfo(img: MedImage): ImageInfo {
  const info: ImageInfo = {
    path: img.path,
    format: img.format,
    dims: img.dims,
    spatialDims: img.spatialDims,
    components: img.components,
    pixelType: img.pixelType,
    spacing: [...img.spacing],
    origin: [...img.origin],
    direction: [...img.direction],
    orientation: orientationCode(img.direction),
    min: img.min,
    max: img.max,
  };
  if (img.timeStep !== undefined) info.timeStep = img.timeStep;
  return info;
}

const num = (v: number) => (Number.isInteger(v) ? String(v) : String(+v.toPrecision(6)));

export function formatInfo(i: ImageInfo): string[] {
  const d = i.direction.map(num);
  // A 2D image's third axis is a placeholder: show width x height only.
  const shown = (v: number[]) => (i.spatialDims === 2 ? v.slice(0, 2) : v);
  const lines = [
    `${i.path}  (${FORMAT_NAMES[i.format as keyof typeof FORMAT_NAMES] ?? i.format}${i.series ? `, series ${i.series.id}${i.series.description ? ` "${i.series.description}"` : ''}, ${i.series.files} file${i.series.files === 1 ? '' : 's'}` : ''})`,
    `  dimensions  ${(i.spatialDims === 2 ? i.dims.slice(0, 2) : i.dims).join(' x ')}${i.dims.length > 3 ? ' (x, y, z, t)' : ''}${i.spatialDims === 2 ? ' (2D)' : ''}`,
    `  spacing     ${shown(i.spacing).map(num).join(' x ')} mm${i.timeStep !== undefined ? `, time step ${num(i.timeStep)}` : ''}`,
    `  origin      ${shown(i.origin).map(num).join(', ')} (LPS mm)`,
    `  direction   [${d.slice(0, 3).join(' ')}; ${d.slice(3, 6).join(' ')}; ${d.slice(6).join(' ')}] (${i.orientation})`,
    `  pixel type  ${i.pixelType}, ${i.components} component${i.components === 1 ? '' : 's'}`,
    `  range       ${num(i.min)} .. ${num(i.max)}`,
  ];
  return lines;
}

async function describe(target: string): Promise<ImageInfo[]> {
  if (!fs.existsSync(target) || !fs.statSync(target).isDirectory()) return [imageInfo(await readImage(target))];
  const out: ImageInfo[] = [];
  for (const s of await listDicomSeries(target)) {
    const info = imageInfo(await readDicomSeries(target, { seriesId: s.id }));
    info.series = { id: s.id, files: s.files.length };
    if (s.description) info.series.description = s.description;
    if (s.modality) info.series.modality = s.modality;
    out.push(info);
  }
  if (!out.length) throw new Error(`${target}: holds no DICOM series`);
  return out;
}

export const info: CliCommand = {
  name: 'info',
  summary: 'print an image header: dimensions, spacing, origin, direction, pixel type, min/max',
  usage: 'medstudio info <file-or-folder>... [--json]',
  async run({ positionals }, io) {
    if (!positionals.length) throw new UsageError('name an image file or a DICOM folder');
    const images: ImageInfo[] = [];
    for (const p of positionals) {
      const infos = await describe(p);
      images.push(...infos);
      if (!io.json) for (const i of infos) for (const line of formatInfo(i)) io.out(line);
    }
    return images.length === 1 ? images[0] : { images };
  },
};
