/**
 * readImage: one async signature for every format MedStudio reads — NIfTI (.nii, .nii.gz; 3D and
 * 4D, either endianness), NRRD, MetaImage (.mha/.mhd), DICOM (a file, or a folder holding a
 * series), PNG and JPEG. Fast paths for NIfTI and PNG; itk-wasm for the rest. Bad input gives
 * an ImageReadError naming the file and the problem; nothing else escapes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readDicomSeries } from './dicomSeries';
import { readDicomHeader } from './dicomTags';
import { checkSize, formatBytes, ImageReadError } from './errors';
import { checkMetaImageHeader, checkNrrdHeader } from './headerCheck';
import { readWithItk } from './itk';
import { readNiftiFast } from './nifti';
import { readPngFast } from './png';
import { FORMAT_NAMES, formatFromName, sniffFormat } from './sniff';
import { DEFAULT_MAX_BYTES, type MedImage, type ReadImageOptions } from './types';

export { ImageReadError, type ImageReadProblem } from './errors';
export { listDicomSeries, readDicomSeries, type DicomSeriesInfo } from './dicomSeries';
export type { ImageFormat, MedImage, PixelType, ReadImageOptions, VoxelArray } from './types';

/**
 * Reads an image file, or a folder holding one DICOM series (see readDicomSeries for folders
 * with several). Throws ImageReadError for missing, empty, truncated, corrupt, wrong-extension,
 * unsupported or too-large input.
 */
export async function readImage(file: string, opts: ReadImageOptions = {}): Promise<MedImage> {
  const abs = path.resolve(file);
  try {
    return await readImageUnchecked(abs, opts);
  } catch (e) {
    if (e instanceof ImageReadError) throw e;
    // Anything else (a decoder bug, out of memory) still names the file.
    throw new ImageReadError(abs, 'corrupt', `could not be read (${e instanceof Error ? e.message : String(e)})`);
  }
}

async function readImageUnchecked(abs: string, opts: ReadImageOptions): Promise<MedImage> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(abs);
  } catch {
    throw new ImageReadError(abs, 'not-found', 'does not exist');
  }
  if (stat.isDirectory()) return readDicomSeries(abs, opts);
  if (stat.size === 0) throw new ImageReadError(abs, 'empty', 'is empty (0 bytes)');
  // Files are read whole; one far beyond the voxel limit is refused before reading it.
  if (stat.size > maxBytes + 64 * 1024 * 1024) throw new ImageReadError(abs, 'too-large', `is ${formatBytes(stat.size)}, more than the ${formatBytes(maxBytes)} limit`);
  const raw = new Uint8Array(await fs.promises.readFile(abs));
  const claimed = formatFromName(abs);
  const sniffed = sniffFormat(raw.subarray(0, 16384));
  if (claimed && sniffed && claimed !== sniffed) {
    throw new ImageReadError(abs, 'wrong-extension', `is named like a ${FORMAT_NAMES[claimed]} file but holds ${FORMAT_NAMES[sniffed]} data (wrong extension?)`);
  }
  if (!claimed && !sniffed) throw new ImageReadError(abs, 'unsupported', 'is not in a format MedStudio reads (NIfTI, NRRD, MetaImage, DICOM, PNG, JPEG)');
  // DICOM without its 128-byte preamble and the data half of a .hdr/.img pair have no magic.
  const lenient = claimed === 'dicom' || abs.toLowerCase().endsWith('.img') || abs.toLowerCase().endsWith('.img.gz');
  if (claimed && !sniffed && !lenient) throw new ImageReadError(abs, 'corrupt', `does not start like ${FORMAT_NAMES[claimed]} data (damaged, or not an image)`);
  const format = sniffed ?? claimed!;
  if (opts.forceItk) return readWithItk(abs, format, maxBytes);
  switch (format) {
    case 'nifti':
      return readNiftiFast(abs, raw, maxBytes) ?? readWithItk(abs, format, maxBytes);
    case 'png':
      return readPngFast(abs, raw, maxBytes) ?? readWithItk(abs, format, maxBytes);
    case 'nrrd':
      checkNrrdHeader(abs, raw, maxBytes);
      return readWithItk(abs, format, maxBytes, true);
    case 'metaimage':
      checkMetaImageHeader(abs, raw, maxBytes);
      return readWithItk(abs, format, maxBytes, true);
    case 'jpeg':
      if (!hasJpegEnd(raw)) throw new ImageReadError(abs, 'truncated', 'is a JPEG without its end marker (the file was cut short)');
      return readWithItk(abs, format, maxBytes);
    case 'dicom': {
      const h = sniffed ? readDicomHeader(raw) : null;
      if (h?.truncated) throw new ImageReadError(abs, 'truncated', 'is a DICOM file cut short (an element runs past the end of the file)');
      // With rows and columns known, check the size here and spare itk-wasm a header pass.
      if (h?.rows && h.columns) checkSize(abs, [h.columns, h.rows, h.numberOfFrames ?? 1], 1, 4, maxBytes, 'DICOM image');
      return readWithItk(abs, format, maxBytes, Boolean(h?.rows && h.columns));
    }
    default:
      return readWithItk(abs, format, maxBytes);
  }
}

/** The JPEG end-of-image marker, allowing for padding some writers add after it. */
function hasJpegEnd(raw: Uint8Array): boolean {
  for (let i = raw.length - 2; i >= Math.max(0, raw.length - 1024); i--) if (raw[i] === 0xff && raw[i + 1] === 0xd9) return true;
  return false;
}
