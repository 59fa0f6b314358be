/**
 * The itk-wasm bridge: NRRD, MetaImage, DICOM, JPEG and whatever the fast paths leave over.
 * itk-wasm is ESM with top-level await, so it is loaded with a dynamic import on first use (the
 * server starts without it); in Node its wasm pipelines load from node_modules, never a CDN.
 */
import type { Image } from 'itk-wasm';
import type { Mat3, Vec3 } from '../../formats/geometry';
import { checkSize, ImageReadError } from './errors';
import { makeMedImage } from './medImage';
import { PIXEL_BYTES, type ImageFormat, type MedImage, type PixelType, type VoxelArray } from './types';

type ImageIo = typeof import('@itk-wasm/image-io');
type DicomIo = typeof import('@itk-wasm/dicom');

let imageIo: Promise<ImageIo> | undefined;
let dicomIo: Promise<DicomIo> | undefined;

export function loadImageIo(): Promise<ImageIo> {
  return (imageIo ??= import('@itk-wasm/image-io'));
}

export function loadDicomIo(): Promise<DicomIo> {
  return (dicomIo ??= import('@itk-wasm/dicom'));
}

/**
 * itk-wasm prints "Exception while running pipeline" to the console on failures; our error says
 * what went wrong instead, so silence those lines while a pipeline runs.
 */
let quietDepth = 0;
let savedConsole: { log: typeof console.log; error: typeof console.error } | undefined;

async function quietly<T>(run: () => Promise<T>): Promise<T> {
  // Counted, so that overlapping reads (a batch decoding in parallel) restore the console once.
  if (quietDepth++ === 0) {
    const saved = { log: console.log, error: console.error };
    savedConsole = saved;
    const drop = (orig: (...a: unknown[]) => void) => (...a: unknown[]) => {
      const first = typeof a[0] === 'string' ? a[0] : '';
      if (/Exception while running pipeline|Build module in Debug mode|^stdout: ?$|^stderr: ?$/m.test(first)) return;
      orig(...a);
    };
    console.log = drop(saved.log);
    console.error = drop(saved.error);
  }
  try {
    return await run();
  } finally {
    if (--quietDepth === 0 && savedConsole) {
      console.log = savedConsole.log;
      console.error = savedConsole.error;
      savedConsole = undefined;
    }
  }
}

const COMPONENT_TYPES: Record<string, PixelType> = {
  uint8: 'uint8',
  int8: 'int8',
  uint16: 'uint16',
  int16: 'int16',
  uint32: 'uint32',
  int32: 'int32',
  float32: 'float32',
  float64: 'float64',
};

function pixelTypeOfItk(file: string, img: Image): PixelType {
  const t = COMPONENT_TYPES[img.imageType.componentType];
  if (!t) throw new ImageReadError(file, 'unsupported', `has pixel component type ${img.imageType.componentType}, which MedStudio does not read`);
  return t;
}

/** Converts an itk-wasm Image (any dimension 2..4) into a MedImage. */
export function fromItkImage(file: string, format: ImageFormat, img: Image): MedImage {
  const dim = img.imageType.dimension;
  if (dim < 2 || dim > 4) throw new ImageReadError(file, 'unsupported', `is a ${dim}D image; MedStudio reads 2D, 3D and 4D images`);
  pixelTypeOfItk(file, img);
  if (!img.data) throw new ImageReadError(file, 'corrupt', 'has no pixel data');
  const size = Array.from(img.size);
  const dims = [size[0]!, size[1]!, size[2] ?? 1, ...(dim === 4 ? [size[3]!] : [])];
  const spacing: Vec3 = [img.spacing[0]!, img.spacing[1]!, dim > 2 ? img.spacing[2]! : 1];
  const origin: Vec3 = [img.origin[0]!, img.origin[1]!, dim > 2 ? img.origin[2]! : 0];
  // itk-wasm's direction is dim x dim, row-major with the axes as columns; keep the spatial 3x3.
  const d = img.direction;
  const direction = [0, 1, 2].flatMap((r) => [0, 1, 2].map((c) => (r < dim && c < dim && r < 3 && c < 3 ? d[r * dim + c]! : r === c ? 1 : 0))) as Mat3;
  return makeMedImage({
    path: file,
    format,
    data: img.data as VoxelArray,
    dims,
    spatialDims: dim === 2 ? 2 : 3,
    components: img.imageType.components,
    geometry: { spacing, origin, direction },
    ...(dim === 4 ? { timeStep: img.spacing[3]! } : {}),
  });
}

/**
 * Reads a file with itk-wasm's image-io. Unless the caller already checked the header's size
 * (`sizeChecked`), reads the header first and refuses images over the limit before decoding.
 */
export async function readWithItk(file: string, format: ImageFormat, maxBytes: number, sizeChecked = false): Promise<MedImage> {
  const io = await loadImageIo();
  if (!sizeChecked) {
    let info: Image;
    try {
      info = await quietly(() => io.readImageNode(file, { informationOnly: true }));
    } catch (e) {
      throw new ImageReadError(file, 'corrupt', `could not be read as ${format} (${describeItkError(e)})`);
    }
    const type = pixelTypeOfItk(file, info);
    checkSize(file, Array.from(info.size), info.imageType.components, PIXEL_BYTES[type], maxBytes, `${format} image`);
  }
  let img: Image;
  try {
    img = await quietly(() => io.readImageNode(file));
  } catch (e) {
    throw new ImageReadError(file, 'corrupt', `${sizeChecked ? 'could not be read' : 'has a readable header but its pixel data could not be decoded'} as ${format} (${describeItkError(e)})`);
  }
  return fromItkImage(file, format, img);
}

/** itk-wasm throws plain numbers (wasm exception pointers) or "Could not read" messages. */
export function describeItkError(e: unknown): string {
  if (e instanceof Error && !/^\d+$/.test(e.message)) return e.message.replace(/^Could not read: .*$/, 'no reader accepted it');
  return 'the ITK reader failed';
}
