/**
 * COCO JSON for 2D lesion boxes (`images`, `annotations` with `bbox: [x, y, w, h]` in pixels,
 * `categories`), with MedStudio's `source` and `score` on each annotation so that a person can
 * review boxes a model proposed. Pure and dependency-free: the extension host, the annotator
 * webview and the server all import it. File I/O lives elsewhere (server/src/data/boxes.ts).
 */
import { isFiniteNumber, isNumberArray, isRecord, parseJsonText, stringifyStable, type FormatIssue } from './jsonText';

/** Who drew a box: a person, a saliency method, a segmentation network, or a trained detector (`model`). */
export type BoxSource = 'manual' | 'saliency' | 'segmentation' | 'model';
export const BOX_SOURCES: readonly BoxSource[] = ['manual', 'saliency', 'segmentation', 'model'];

/** `[x, y, width, height]` in pixels; (x, y) is the top-left corner, pixel (0,0)'s top-left is 0,0. */
export type CocoBBox = [number, number, number, number];

/**
 * Fields MedStudio does not use (`segmentation`, `keypoints`, `attributes`, `license`,
 * `coco_url`, ...) as they were read, so that saving writes them back unchanged.
 */
export type CocoExtra = Record<string, unknown>;

export interface CocoImage {
  id: number;
  /** Relative to the COCO file's folder (MedStudio's convention), or a bare file name. */
  file_name: string;
  width: number;
  height: number;
  extra?: CocoExtra;
}

export interface CocoAnnotation {
  id: number;
  image_id: number;
  category_id: number;
  bbox: CocoBBox;
  area: number;
  iscrowd: 0 | 1;
  /** Defaults to 'manual' when a file written by another tool has no source. */
  source: BoxSource;
  /** Confidence of a proposed box, in [0, 1]; absent for manual boxes. */
  score?: number;
  /**
   * A person accepted this proposed box: it is ground truth, and keeps its source and score so
   * that one can still tell (and count) what a model found. Only `model` boxes are kept this way;
   * accepting a saliency or segmentation box makes it `manual`.
   */
  accepted?: true;
  extra?: CocoExtra;
}

/** A proposed box nobody has accepted yet (drawn dashed, left out of training). */
export function isPendingSuggestion(a: Pick<CocoAnnotation, 'source' | 'accepted'>): boolean {
  return a.source !== 'manual' && a.accepted !== true;
}

export interface CocoCategory {
  id: number;
  name: string;
  supercategory?: string;
  extra?: CocoExtra;
}

export interface CocoDataset {
  info?: Record<string, unknown>;
  images: CocoImage[];
  annotations: CocoAnnotation[];
  categories: CocoCategory[];
  /** Top-level members besides these (`licenses`, ...), kept as read. */
  extra?: CocoExtra;
}

const KNOWN = {
  dataset: ['info', 'images', 'annotations', 'categories'],
  image: ['id', 'file_name', 'width', 'height'],
  annotation: ['id', 'image_id', 'category_id', 'bbox', 'area', 'iscrowd', 'source', 'score', 'accepted'],
  category: ['id', 'name', 'supercategory'],
} as const;

/** The members of `raw` not in `known`, in their order; undefined when there are none. */
function extraOf(raw: Record<string, unknown>, known: readonly string[]): CocoExtra | undefined {
  const out: CocoExtra = {};
  let any = false;
  for (const [k, v] of Object.entries(raw)) {
    if (known.includes(k)) continue;
    out[k] = v;
    any = true;
  }
  return any ? out : undefined;
}

/** `base` followed by the extra members (known names win, so an edit is never undone by them). */
function withExtra(base: Record<string, unknown>, extra: CocoExtra | undefined): Record<string, unknown> {
  if (!extra) return base;
  const out = { ...base };
  for (const [k, v] of Object.entries(extra)) if (!(k in base)) out[k] = v;
  return out;
}

export type CocoIssueCode =
  | 'json'
  | 'schema'
  | 'duplicate-id'
  | 'unknown-image'
  | 'unknown-category'
  | 'non-positive-size'
  | 'outside-image'
  | 'bad-source'
  | 'bad-score';
export type CocoIssue = FormatIssue<CocoIssueCode>;

/** Thrown by parseCoco; `issues` lists every problem, the message the first few. */
export class CocoFormatError extends Error {
  constructor(
    readonly issues: CocoIssue[],
    readonly file?: string,
  ) {
    const head = issues.slice(0, 5).map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
    super(`${file ?? 'COCO file'}: ${head.join('; ')}${more}`);
    this.name = 'CocoFormatError';
  }
}

/** Half a thousandth of a pixel: float boxes that touch the border are not "outside". */
const EDGE_TOLERANCE = 5e-4;

/**
 * Checks a parsed JSON value against COCO + MedStudio rules and returns a normalised dataset
 * (area, iscrowd and source filled in) together with every issue found. `dataset` is null when
 * the document's shape is too broken to use at all.
 */
export function validateCoco(value: unknown): { dataset: CocoDataset | null; issues: CocoIssue[] } {
  const issues: CocoIssue[] = [];
  const issue = (code: CocoIssueCode, path: string, message: string) => issues.push({ code, path, message });
  if (!isRecord(value)) {
    issue('schema', '', 'expected a JSON object with images, annotations and categories');
    return { dataset: null, issues };
  }
  for (const key of ['images', 'annotations', 'categories'] as const) {
    if (!Array.isArray(value[key])) issue('schema', key, `expected an array '${key}'`);
  }
  if (issues.length) return { dataset: null, issues };

  const images: CocoImage[] = [];
  const imageById = new Map<number, CocoImage>();
  (value.images as unknown[]).forEach((raw, i) => {
    const p = `images[${i}]`;
    if (!isRecord(raw)) return issue('schema', p, 'expected an object');
    const { id, file_name, width, height } = raw;
    if (!Number.isInteger(id)) return issue('schema', `${p}.id`, 'expected an integer id');
    if (typeof file_name !== 'string' || !file_name) return issue('schema', `${p}.file_name`, 'expected a non-empty file name');
    if (!isFiniteNumber(width) || !isFiniteNumber(height) || width <= 0 || height <= 0) {
      return issue('non-positive-size', p, `image size must be positive, got ${String(width)}x${String(height)}`);
    }
    const img: CocoImage = { id: id as number, file_name, width, height };
    const extra = extraOf(raw, KNOWN.image);
    if (extra) img.extra = extra;
    if (imageById.has(img.id)) return issue('duplicate-id', `${p}.id`, `duplicate image id ${img.id}`);
    imageById.set(img.id, img);
    images.push(img);
  });

  const categories: CocoCategory[] = [];
  const categoryIds = new Set<number>();
  const categoryNames = new Set<string>();
  (value.categories as unknown[]).forEach((raw, i) => {
    const p = `categories[${i}]`;
    if (!isRecord(raw)) return issue('schema', p, 'expected an object');
    const { id, name, supercategory } = raw;
    if (!Number.isInteger(id)) return issue('schema', `${p}.id`, 'expected an integer id');
    if (typeof name !== 'string' || !name) return issue('schema', `${p}.name`, 'expected a non-empty name');
    if (categoryIds.has(id as number)) return issue('duplicate-id', `${p}.id`, `duplicate category id ${String(id)}`);
    if (categoryNames.has(name)) return issue('duplicate-id', `${p}.name`, `duplicate category name '${name}'`);
    categoryIds.add(id as number);
    categoryNames.add(name);
    const cat: CocoCategory = { id: id as number, name };
    if (typeof supercategory === 'string') cat.supercategory = supercategory;
    const extra = extraOf(raw, KNOWN.category);
    if (extra) cat.extra = extra;
    categories.push(cat);
  });

  const annotations: CocoAnnotation[] = [];
  const annotationIds = new Set<number>();
  (value.annotations as unknown[]).forEach((raw, i) => {
    const p = `annotations[${i}]`;
    if (!isRecord(raw)) return issue('schema', p, 'expected an object');
    const { id, image_id, category_id, bbox, area, iscrowd, source, score, accepted } = raw;
    if (!Number.isInteger(id)) return issue('schema', `${p}.id`, 'expected an integer id');
    if (annotationIds.has(id as number)) return issue('duplicate-id', `${p}.id`, `duplicate annotation id ${String(id)}`);
    annotationIds.add(id as number);
    if (!isNumberArray(bbox, 4)) return issue('schema', `${p}.bbox`, 'expected bbox [x, y, width, height] of 4 finite numbers');
    const img = Number.isInteger(image_id) ? imageById.get(image_id as number) : undefined;
    let ok = true;
    if (!img) {
      issue('unknown-image', `${p}.image_id`, `image id ${String(image_id)} does not exist`);
      ok = false;
    }
    if (!Number.isInteger(category_id) || !categoryIds.has(category_id as number)) {
      issue('unknown-category', `${p}.category_id`, `category id ${String(category_id)} does not exist`);
      ok = false;
    }
    const [x, y, w, h] = bbox as CocoBBox;
    if (w <= 0 || h <= 0) {
      issue('non-positive-size', `${p}.bbox`, `box size must be positive, got ${w}x${h}`);
      ok = false;
    } else if (img && !boxInside(bbox as CocoBBox, img.width, img.height)) {
      issue('outside-image', `${p}.bbox`, `box [${bbox.join(', ')}] lies outside image ${img.id} (${img.width}x${img.height})`);
      ok = false;
    }
    if (source !== undefined && !BOX_SOURCES.includes(source as BoxSource)) {
      issue('bad-source', `${p}.source`, `source must be one of ${BOX_SOURCES.join(', ')}, got ${JSON.stringify(source)}`);
      ok = false;
    }
    if (score !== undefined && (!isFiniteNumber(score) || score < 0 || score > 1)) {
      issue('bad-score', `${p}.score`, `score must be a number in [0, 1], got ${JSON.stringify(score)}`);
      ok = false;
    }
    if (accepted !== undefined && accepted !== true && accepted !== false) {
      issue('schema', `${p}.accepted`, `accepted must be true or false, got ${JSON.stringify(accepted)}`);
      ok = false;
    }
    if (!ok) return;
    const ann: CocoAnnotation = {
      id: id as number,
      image_id: image_id as number,
      category_id: category_id as number,
      bbox: [x, y, w, h],
      area: isFiniteNumber(area) ? area : w * h,
      iscrowd: iscrowd === 1 ? 1 : 0,
      source: (source as BoxSource | undefined) ?? 'manual',
    };
    if (score !== undefined) ann.score = score as number;
    if (accepted === true) ann.accepted = true;
    const extra = extraOf(raw, KNOWN.annotation);
    if (extra) ann.extra = extra;
    annotations.push(ann);
  });

  const dataset: CocoDataset = { images, annotations, categories };
  if (isRecord(value.info)) dataset.info = value.info;
  const extra = extraOf(value, KNOWN.dataset);
  if (extra) dataset.extra = extra;
  return { dataset, issues };
}

/**
 * Parses and validates COCO text. Throws CocoFormatError (naming `file` when given) on malformed
 * JSON (with line and column) or on any rule broken; returns the normalised dataset otherwise.
 */
export function parseCoco(text: string, file?: string): CocoDataset {
  const parsed = parseJsonText(text);
  if (!parsed.ok) throw new CocoFormatError([parsed.issue], file);
  const { dataset, issues } = validateCoco(parsed.value);
  if (!dataset || issues.length) throw new CocoFormatError(issues, file);
  return dataset;
}

/**
 * Deterministic text: fixed key order, entries sorted by id, 2-space indent, trailing newline.
 * The same dataset always gives the same bytes, so files diff cleanly and samples reproduce.
 */
export function serializeCoco(ds: CocoDataset): string {
  const byId = <T extends { id: number }>(a: T, b: T) => a.id - b.id;
  const out: Record<string, unknown> = {};
  if (ds.info) out.info = ds.info;
  for (const [k, v] of Object.entries(ds.extra ?? {})) if (!(KNOWN.dataset as readonly string[]).includes(k)) out[k] = v;
  out.images = [...ds.images].sort(byId).map((i) => withExtra({ id: i.id, file_name: i.file_name, width: i.width, height: i.height }, i.extra));
  out.annotations = [...ds.annotations].sort(byId).map((a) => {
    const o: Record<string, unknown> = {
      id: a.id,
      image_id: a.image_id,
      category_id: a.category_id,
      bbox: a.bbox,
      area: a.area,
      iscrowd: a.iscrowd,
      source: a.source,
    };
    if (a.score !== undefined) o.score = a.score;
    if (a.accepted) o.accepted = true;
    return withExtra(o, a.extra);
  });
  out.categories = [...ds.categories]
    .sort(byId)
    .map((c) => withExtra(c.supercategory === undefined ? { id: c.id, name: c.name } : { id: c.id, name: c.name, supercategory: c.supercategory }, c.extra));
  return stringifyStable(out);
}

/** True when the box lies within a width x height image (touching the border is inside). */
export function boxInside(b: CocoBBox, width: number, height: number): boolean {
  const [x, y, w, h] = b;
  return x >= -EDGE_TOLERANCE && y >= -EDGE_TOLERANCE && x + w <= width + EDGE_TOLERANCE && y + h <= height + EDGE_TOLERANCE;
}

/** Clips a box to the image; null when nothing of it is left (so callers can drop it). */
export function clampBox(b: CocoBBox, width: number, height: number): CocoBBox | null {
  const x0 = Math.min(Math.max(b[0], 0), width);
  const y0 = Math.min(Math.max(b[1], 0), height);
  const x1 = Math.min(Math.max(b[0] + b[2], 0), width);
  const y1 = Math.min(Math.max(b[1] + b[3], 0), height);
  return x1 > x0 && y1 > y0 ? [x0, y0, x1 - x0, y1 - y0] : null;
}

/** Intersection over union of two boxes (0 when either is empty). */
export function boxIou(a: CocoBBox, b: CocoBBox): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union > 0 ? inter / union : 0;
}

/** One more than the largest id in use (1 for an empty list), for new images or annotations. */
export function nextId(items: readonly { id: number }[]): number {
  return items.reduce((m, i) => Math.max(m, i.id), 0) + 1;
}

/** An empty dataset whose categories are `classes`, ids 1..n in order. */
export function emptyCoco(classes: readonly string[]): CocoDataset {
  return { images: [], annotations: [], categories: classes.map((name, i) => ({ id: i + 1, name })) };
}

/** Annotations grouped by image id (images without boxes are absent from the map). */
export function annotationsByImage(ds: CocoDataset): Map<number, CocoAnnotation[]> {
  const m = new Map<number, CocoAnnotation[]>();
  for (const a of ds.annotations) {
    const list = m.get(a.image_id);
    if (list) list.push(a);
    else m.set(a.image_id, [a]);
  }
  return m;
}

/**
 * Finds the image entry for a file path: an exact `file_name` match first, else the unique entry
 * whose `file_name` ends with the same trailing path (so `images/a.png` matches `a.png`).
 */
export function findImageByPath(ds: CocoDataset, filePath: string): CocoImage | undefined {
  const norm = filePath.replace(/\\/g, '/');
  const exact = ds.images.find((i) => i.file_name.replace(/\\/g, '/') === norm);
  if (exact) return exact;
  const tails = ds.images.filter((i) => {
    const f = i.file_name.replace(/\\/g, '/');
    return norm.endsWith('/' + f) || f.endsWith('/' + norm);
  });
  return tails.length === 1 ? tails[0] : undefined;
}

/**
 * A suggested box a person rejected. Kept in `info.medstudio.rejected` by the annotation id it
 * had, so that generating boxes again does not propose it a second time.
 */
export interface RejectedBox {
  image_id: number;
  category_id: number;
  bbox: CocoBBox;
  source: BoxSource;
  score?: number;
}

/** The rejected boxes recorded in a dataset's `info.medstudio.rejected` (malformed entries skipped). */
export function rejectedBoxes(ds: CocoDataset): Map<number, RejectedBox> {
  const out = new Map<number, RejectedBox>();
  const ms = ds.info?.medstudio;
  const rec = isRecord(ms) ? ms.rejected : undefined;
  if (!isRecord(rec)) return out;
  for (const [k, v] of Object.entries(rec)) {
    const id = Number(k);
    if (!Number.isInteger(id) || !isRecord(v) || !isNumberArray(v.bbox, 4) || !Number.isInteger(v.image_id) || !Number.isInteger(v.category_id)) continue;
    const source = BOX_SOURCES.includes(v.source as BoxSource) ? (v.source as BoxSource) : 'saliency';
    const box: RejectedBox = { image_id: v.image_id as number, category_id: v.category_id as number, bbox: [...v.bbox] as CocoBBox, source };
    if (isFiniteNumber(v.score)) box.score = v.score;
    out.set(id, box);
  }
  return out;
}
