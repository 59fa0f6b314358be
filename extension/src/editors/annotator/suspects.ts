/**
 * Reads the data-cleaning report's suspect labels (server/src/methods/longtail/cleaning.ts writes
 * `cleaning/round-N.suspects.json` in a run folder) into the annotator's review queue: a JSON
 * object with a `suspects` array (or the array itself); each item names the image (`image` |
 * `imagePath` | `path` | `file_name`, and/or `imageId`), the label it was given (`givenLabel` |
 * `label` | `given`), the label the model suggests (`suggestedLabel` | `suggested` | `predicted`)
 * and a `score`. Pure: the caller reads the file.
 */
import { findImageByPath, type CocoDataset } from '../../../../server/src/formats/coco';
import { isRecord, parseJsonText } from '../../../../server/src/formats/jsonText';
import type { SuspectItem } from '../../../../server/src/protocol';

function str(r: Record<string, unknown>, keys: string[]): string | undefined {
  for (const k of keys) if (typeof r[k] === 'string' && r[k]) return r[k];
  return undefined;
}

/** Parses a suspects report; throws an Error naming `file` and the offending item. */
export function parseSuspects(text: string, file: string, ds: CocoDataset): SuspectItem[] {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.issue.message}`);
  const v = parsed.value;
  const list = Array.isArray(v) ? v : isRecord(v) && Array.isArray(v.suspects) ? v.suspects : undefined;
  if (!list) throw new Error(`${file}: expected a 'suspects' array of {image, givenLabel, suggestedLabel, score}`);
  return list.map((raw: unknown, i): SuspectItem => {
    if (!isRecord(raw)) throw new Error(`${file}: suspects[${i}] is not an object`);
    const idRaw = raw.imageId ?? raw.image_id;
    const byId = Number.isInteger(idRaw) ? ds.images.find((im) => im.id === idRaw) : undefined;
    const image = str(raw, ['image', 'imagePath', 'path', 'file_name', 'file']) ?? byId?.file_name;
    if (!image) throw new Error(`${file}: suspects[${i}] names no image (image or imageId)`);
    const givenLabel = str(raw, ['givenLabel', 'given', 'label']);
    if (!givenLabel) throw new Error(`${file}: suspects[${i}] has no givenLabel`);
    const item: SuspectItem = { image, givenLabel };
    // The path decides; an id alone only when the report names no path or the id's file matches
    // (a report's ids belong to the box file the run used, which may not be this one).
    const byPath = findImageByPath(ds, image);
    const idAgrees = byId && (image === byId.file_name || image.replace(/\\/g, '/').endsWith('/' + byId.file_name));
    const img = byPath ?? (idAgrees ? byId : undefined);
    if (img) item.imageId = img.id;
    const suggested = str(raw, ['suggestedLabel', 'suggested', 'predicted', 'predictedLabel']);
    if (suggested) item.suggestedLabel = suggested;
    if (typeof raw.score === 'number' && Number.isFinite(raw.score)) item.score = raw.score;
    return item;
  });
}
