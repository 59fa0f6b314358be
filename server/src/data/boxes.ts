/**
 * Box files on disk: COCO JSON (2D) and 3D Slicer markups ROI (3D), read with validation and
 * written atomically, so the annotator, the saliency/segmentation box generators and training
 * all see whole, valid files.
 */
import * as fs from 'node:fs';
import { parseCoco, serializeCoco, validateCoco, CocoFormatError, type CocoDataset } from '../formats/coco';
import { parseSlicerRoi, serializeSlicerRoi, type SlicerRoi } from '../formats/slicerRoi';
import { writeFileAtomic } from './atomicWrite';

async function readText(file: string): Promise<string> {
  try {
    return await fs.promises.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`${file}: cannot read (${code === 'ENOENT' ? 'does not exist' : (code ?? String(e))})`);
  }
}

/** Reads and validates a COCO file; throws CocoFormatError listing every problem. */
export async function readCocoFile(file: string): Promise<CocoDataset> {
  return parseCoco(await readText(file), file);
}

/** Validates, then writes atomically (deterministic bytes); refuses to write an invalid dataset. */
export async function writeCocoFile(file: string, ds: CocoDataset): Promise<void> {
  const { issues } = validateCoco(JSON.parse(serializeCoco(ds)));
  if (issues.length) throw new CocoFormatError(issues, file);
  await writeFileAtomic(file, serializeCoco(ds));
}

export async function readSlicerRoiFile(file: string): Promise<SlicerRoi[]> {
  return parseSlicerRoi(await readText(file), file);
}

export async function writeSlicerRoiFile(file: string, rois: readonly SlicerRoi[]): Promise<void> {
  const text = serializeSlicerRoi(rois);
  parseSlicerRoi(text, file); // the same checks as reading: never write what we could not read back
  await writeFileAtomic(file, text);
}
