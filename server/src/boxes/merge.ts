/**
 * Merging a new generation of boxes into a box file a person may have reviewed. Nothing the
 * person decided is lost: boxes they accepted or drew (`manual`), images they reviewed (with all
 * their boxes), suggestions from other sources and rejected suggestions all stay; only this
 * source's unreviewed suggestions are replaced, and a new box is not proposed again where the
 * person rejected one or already has one. Pure: the caller reads and writes the files.
 */
import { boxIou, nextId, rejectedBoxes, type CocoAnnotation, type CocoDataset } from '../formats/coco';

/** A new box is "the same" as a rejected or a person's box when they overlap this much. */
export const SAME_BOX_IOU = 0.5;

export interface MergeStats {
  /** Boxes a person accepted or drew, kept. */
  manual: number;
  /** Images with a review decision, kept with every box on them. */
  reviewedImages: number;
  /** Suggestions kept: from another source, or on a reviewed image. */
  keptSuggestions: number;
  /** This source's unreviewed suggestions that the new ones replaced. */
  replaced: number;
  /** New suggestions written. */
  added: number;
  /** New boxes not proposed again: a person rejected the same box before. */
  skippedRejected: number;
  /** New boxes not proposed: the image is reviewed, or a person's box is already there. */
  skippedDecided: number;
}

function reviewedImageIds(ds: CocoDataset): Set<number> {
  const ms = ds.info?.medstudio;
  const review = typeof ms === 'object' && ms !== null ? (ms as Record<string, unknown>).review : undefined;
  return new Set(typeof review === 'object' && review !== null ? Object.keys(review).map(Number).filter(Number.isInteger) : []);
}

/** `generated` (one source's fresh boxes) merged into `existing`; `existing` is not changed. */
export function mergeGenerated(existing: CocoDataset, generated: CocoDataset, source: CocoAnnotation['source']): { dataset: CocoDataset; stats: MergeStats } {
  const out = structuredClone(existing);
  const stats: MergeStats = { manual: 0, reviewedImages: 0, keptSuggestions: 0, replaced: 0, added: 0, skippedRejected: 0, skippedDecided: 0 };
  const reviewed = reviewedImageIds(existing);
  stats.reviewedImages = reviewed.size;
  const rejected = [...rejectedBoxes(existing).entries()];

  // Categories and images by name / file name; new ones get fresh ids.
  const categoryId = new Map<number, number>();
  for (const c of generated.categories) {
    let have = out.categories.find((x) => x.name === c.name);
    if (!have) {
      have = { id: nextId(out.categories), name: c.name };
      out.categories.push(have);
    }
    categoryId.set(c.id, have.id);
  }
  const imageId = new Map<number, number>();
  for (const img of generated.images) {
    let have = out.images.find((x) => x.file_name === img.file_name);
    if (!have) {
      have = { ...img, id: nextId(out.images) };
      out.images.push(have);
    }
    imageId.set(img.id, have.id);
  }

  out.annotations = out.annotations.filter((a) => {
    if (a.source === 'manual') stats.manual++;
    else if (reviewed.has(a.image_id) || a.source !== source) stats.keptSuggestions++;
    else {
      stats.replaced++;
      return false;
    }
    return true;
  });

  // New ids above every id in use or remembered as rejected, so no record is ever ambiguous.
  let id = Math.max(nextId(existing.annotations), nextId(rejected.map(([rid]) => ({ id: rid }))));
  for (const g of generated.annotations) {
    const image = imageId.get(g.image_id)!;
    const near = (b: { image_id: number; bbox: CocoAnnotation['bbox'] }) => b.image_id === image && boxIou(b.bbox, g.bbox) >= SAME_BOX_IOU;
    if (rejected.some(([, r]) => near(r))) {
      stats.skippedRejected++;
      continue;
    }
    if (reviewed.has(image) || out.annotations.some((a) => a.source === 'manual' && near(a))) {
      stats.skippedDecided++;
      continue;
    }
    out.annotations.push({ ...g, id: id++, image_id: image, category_id: categoryId.get(g.category_id)! });
    stats.added++;
  }

  // The generation's own notes (source, saliency method) update; review and rejections stay.
  const info: Record<string, unknown> = { ...(generated.info ?? {}), ...(existing.info ?? {}) };
  const oldMs = existing.info?.medstudio;
  const newMs = generated.info?.medstudio;
  if (typeof newMs === 'object' && newMs !== null) info.medstudio = { ...(typeof oldMs === 'object' && oldMs !== null ? oldMs : {}), ...newMs, ...pick(oldMs, ['review', 'rejected']) };
  out.info = info;
  return { dataset: out, stats };
}

function pick(o: unknown, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof o !== 'object' || o === null) return out;
  for (const k of keys) if (k in o) out[k] = (o as Record<string, unknown>)[k];
  return out;
}

/** One sentence for the person: what was kept and what changed. */
export function describeMerge(s: MergeStats, source: string): string {
  const kept = [
    `${s.manual} accepted or hand-drawn box(es)`,
    `${s.reviewedImages} reviewed image(s)`,
    s.keptSuggestions ? `${s.keptSuggestions} other suggestion(s)` : '',
  ].filter(Boolean);
  const skipped = [s.skippedRejected ? `${s.skippedRejected} rejected before` : '', s.skippedDecided ? `${s.skippedDecided} on reviewed images or where your box already is` : ''].filter(Boolean);
  return `kept ${kept.join(', ')}; replaced ${s.replaced} unreviewed ${source} suggestion(s) with ${s.added} new one(s)${skipped.length ? ` (not proposed again: ${skipped.join(', ')})` : ''}`;
}
