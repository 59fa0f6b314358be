/**
 * The annotator's document model: a COCO dataset plus review decisions, changed only through
 * edits that know how to undo themselves (VS Code's edit stack calls undo/redo). Pure: no
 * `vscode`, no file system, so unit tests check the saved bytes exactly.
 */
import { clampBox, isPendingSuggestion, nextId, parseCoco, rejectedBoxes, serializeCoco, type CocoAnnotation, type CocoBBox, type CocoDataset, type CocoImage, type RejectedBox } from '../../../../server/src/formats/coco';
import type { AnnotatorIntent, AnnotatorPatch, EditResult, ReviewEntry, ReviewStatus } from '../../../../server/src/protocol';

/** One reversible change to the document. */
type Op =
  | { op: 'putAnn'; ann: CocoAnnotation }
  | { op: 'delAnn'; id: number }
  | { op: 'putReview'; imageId: number; entry: ReviewEntry | null }
  /** A rejected suggestion's record (null: none), by the id the box had. */
  | { op: 'putRejected'; id: number; box: RejectedBox | null };

/** An applied edit: what VS Code's undo/redo replays. */
export interface AppliedEdit {
  label: string;
  redo: Op[];
  undo: Op[];
}

const REVIEW_STATUSES: readonly ReviewStatus[] = ['reviewed', 'kept', 'relabelled', 'excluded'];

/** Boxes are kept to 1/100 pixel so saved files stay short and stable. */
function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function roundBox(b: CocoBBox): CocoBBox {
  return [round2(b[0]), round2(b[1]), round2(b[2]), round2(b[3])];
}

/** Review decisions kept in `info.medstudio.review`, keyed by image id (other tools ignore it). */
function readReview(ds: CocoDataset): Map<number, ReviewEntry> {
  const out = new Map<number, ReviewEntry>();
  const ms = ds.info?.medstudio;
  const review = typeof ms === 'object' && ms !== null ? (ms as Record<string, unknown>).review : undefined;
  if (typeof review !== 'object' || review === null) return out;
  for (const [k, v] of Object.entries(review as Record<string, unknown>)) {
    const id = Number(k);
    if (!Number.isInteger(id) || typeof v !== 'object' || v === null) continue;
    const { status, label } = v as { status?: unknown; label?: unknown };
    if (!REVIEW_STATUSES.includes(status as ReviewStatus)) continue;
    out.set(id, typeof label === 'string' ? { status: status as ReviewStatus, label } : { status: status as ReviewStatus });
  }
  return out;
}

/** What a list of ops changes, for the webview's incremental update. */
export function patchOf(ops: readonly Op[]): Omit<AnnotatorPatch, 'version'> {
  const upsert = new Map<number, CocoAnnotation>();
  const remove = new Set<number>();
  const review: Record<string, ReviewEntry | null> = {};
  for (const o of ops) {
    if (o.op === 'putAnn') {
      upsert.set(o.ann.id, structuredClone(o.ann));
      remove.delete(o.ann.id);
    } else if (o.op === 'delAnn') {
      upsert.delete(o.id);
      remove.add(o.id);
    } else if (o.op === 'putReview') review[String(o.imageId)] = o.entry ? { ...o.entry } : null;
  }
  return { upsert: [...upsert.values()], remove: [...remove], review };
}

export class AnnotatorModel {
  private readonly rejected: Map<number, RejectedBox>;

  private constructor(
    private ds: CocoDataset,
    private readonly review: Map<number, ReviewEntry>,
  ) {
    this.rejected = rejectedBoxes(ds);
  }

  /** Parses COCO text (throws CocoFormatError naming `file` on any problem). */
  static fromText(text: string, file?: string): AnnotatorModel {
    const ds = parseCoco(text, file);
    return new AnnotatorModel(ds, readReview(ds));
  }

  static fromDataset(ds: CocoDataset): AnnotatorModel {
    return new AnnotatorModel(structuredClone(ds), readReview(ds));
  }

  /** A copy of the current dataset, review decisions folded into `info`. */
  dataset(): CocoDataset {
    const ds = structuredClone(this.ds);
    const info: Record<string, unknown> = { ...(ds.info ?? {}) };
    const ms: Record<string, unknown> = typeof info.medstudio === 'object' && info.medstudio !== null ? { ...(info.medstudio as Record<string, unknown>) } : {};
    if (this.review.size) {
      const review: Record<string, ReviewEntry> = {};
      for (const id of [...this.review.keys()].sort((a, b) => a - b)) {
        const e = this.review.get(id)!;
        review[String(id)] = e.label === undefined ? { status: e.status } : { status: e.status, label: e.label };
      }
      ms.review = review;
    } else delete ms.review;
    if (this.rejected.size) {
      const rejected: Record<string, RejectedBox> = {};
      for (const id of [...this.rejected.keys()].sort((a, b) => a - b)) rejected[String(id)] = structuredClone(this.rejected.get(id)!);
      ms.rejected = rejected;
    } else delete ms.rejected;
    if (Object.keys(ms).length) info.medstudio = ms;
    else delete info.medstudio;
    if (Object.keys(info).length) ds.info = info;
    else delete ds.info;
    return ds;
  }

  /** Review decisions by image id, as the webview gets them. */
  reviewRecord(): Record<string, ReviewEntry> {
    const out: Record<string, ReviewEntry> = {};
    for (const [id, e] of this.review) out[String(id)] = { ...e };
    return out;
  }

  /** The file's bytes: standard COCO, deterministic (same document, same text). */
  serialize(): string {
    return serializeCoco(this.dataset());
  }

  image(id: number): CocoImage | undefined {
    return this.ds.images.find((i) => i.id === id);
  }

  annotation(id: number): CocoAnnotation | undefined {
    return this.ds.annotations.find((a) => a.id === id);
  }

  /**
   * Applies what the webview asked for. Returns the applied edit (for the undo stack) or null
   * when nothing changed, with a result that says why an edit was refused or clipped.
   */
  apply(intent: AnnotatorIntent): { edit: AppliedEdit | null; result: EditResult } {
    const refuse = (message: string) => ({ edit: null, result: { ok: false, message } });
    const ops: Op[] = [];
    let label: string;
    let clamped = false;
    const ids: number[] = [];
    const place = (imageId: number, bbox: CocoBBox): CocoBBox | string => {
      const img = this.ds.images.find((i) => i.id === imageId);
      if (!img) return `image ${imageId} is not in this file`;
      if (!bbox.every(Number.isFinite)) return 'the box has non-numeric coordinates';
      const n: CocoBBox = [Math.min(bbox[0], bbox[0] + bbox[2]), Math.min(bbox[1], bbox[1] + bbox[3]), Math.abs(bbox[2]), Math.abs(bbox[3])];
      const c = clampBox(n, img.width, img.height);
      if (!c) return `the box lies outside image ${img.file_name} (${img.width}x${img.height}); nothing was changed`;
      const r = roundBox(c);
      if (r[2] <= 0 || r[3] <= 0) return 'the box is empty; nothing was changed';
      if (r.some((v, i) => Math.abs(v - n[i]!) > 0.005)) clamped = true;
      return r;
    };
    const category = (id: number) => this.ds.categories.find((c) => c.id === id);

    switch (intent.kind) {
      case 'addBox': {
        if (!category(intent.categoryId)) return refuse(`category ${intent.categoryId} does not exist in this file`);
        const b = place(intent.imageId, intent.bbox);
        if (typeof b === 'string') return refuse(b);
        const id = this.freeId();
        ids.push(id);
        ops.push({ op: 'putAnn', ann: { id, image_id: intent.imageId, category_id: intent.categoryId, bbox: b, area: round2(b[2] * b[3]), iscrowd: 0, source: 'manual' } });
        label = 'Draw Box';
        break;
      }
      case 'setBox': {
        const a = this.annotation(intent.id);
        if (!a) return refuse(`box ${intent.id} does not exist`);
        const b = place(a.image_id, intent.bbox);
        if (typeof b === 'string') return refuse(b);
        if (b.every((v, i) => v === a.bbox[i])) return { edit: null, result: { ok: true } };
        ops.push({ op: 'putAnn', ann: { ...a, bbox: b, area: round2(b[2] * b[3]) } });
        label = 'Move Box';
        break;
      }
      case 'deleteBoxes':
      case 'rejectSuggestions': {
        for (const id of intent.ids) {
          const a = this.annotation(id);
          if (!a) return refuse(`box ${id} does not exist`);
          if (intent.kind === 'rejectSuggestions' && !isPendingSuggestion(a)) return refuse(`box ${id} is not a suggestion`);
          ops.push({ op: 'delAnn', id });
          // Remembered, so that generating boxes again does not propose it once more.
          if (intent.kind === 'rejectSuggestions') {
            const box: RejectedBox = { image_id: a.image_id, category_id: a.category_id, bbox: [...a.bbox], source: a.source };
            if (a.score !== undefined) box.score = a.score;
            ops.push({ op: 'putRejected', id, box });
          }
        }
        label = intent.kind === 'deleteBoxes' ? 'Delete Box' : 'Reject Suggestion';
        break;
      }
      case 'setCategory': {
        const c = category(intent.categoryId);
        if (!c) return refuse(`category ${intent.categoryId} does not exist in this file`);
        for (const id of intent.ids) {
          const a = this.annotation(id);
          if (!a) return refuse(`box ${id} does not exist`);
          if (a.category_id !== c.id) ops.push({ op: 'putAnn', ann: { ...a, category_id: c.id } });
        }
        label = `Set Class ${c.name}`;
        break;
      }
      case 'addSuggestions': {
        if (!category(intent.categoryId)) return refuse(`category ${intent.categoryId} does not exist in this file`);
        let id = this.freeId();
        for (const s of intent.boxes) {
          const b = place(intent.imageId, s.bbox);
          if (typeof b === 'string') continue; // a proposal off the image is simply not shown
          const score = Math.min(1, Math.max(0, s.score));
          ops.push({ op: 'putAnn', ann: { id, image_id: intent.imageId, category_id: intent.categoryId, bbox: b, area: round2(b[2] * b[3]), iscrowd: 0, source: s.source, score } });
          ids.push(id++);
        }
        if (!ops.length) return refuse(intent.boxes.length ? 'every suggested box lay outside the image' : 'the model suggested no boxes for this image');
        label = 'Suggest Boxes';
        break;
      }
      case 'acceptSuggestions': {
        for (const id of intent.ids) {
          const a = this.annotation(id);
          if (!a) return refuse(`box ${id} does not exist`);
          if (!isPendingSuggestion(a)) continue;
          // A detector's box keeps its source and score (what the model found stays countable); a generator's becomes the person's.
          if (a.source === 'model') {
            ops.push({ op: 'putAnn', ann: { ...a, accepted: true } });
            continue;
          }
          const { score: _score, ...rest } = a;
          ops.push({ op: 'putAnn', ann: { ...rest, source: 'manual' } });
        }
        label = 'Accept Suggestion';
        break;
      }
      case 'review': {
        if (!this.ds.images.some((i) => i.id === intent.imageId)) return refuse(`image ${intent.imageId} is not in this file`);
        const e = intent.entry;
        if (e && !REVIEW_STATUSES.includes(e.status)) return refuse(`unknown review status '${String(e.status)}'`);
        if (e?.status === 'relabelled' && !e.label) return refuse('a changed label needs the new class name');
        ops.push({ op: 'putReview', imageId: intent.imageId, entry: e ? { ...e } : null });
        label = e ? `Review: ${e.status}` : 'Clear Review';
        break;
      }
    }
    if (!ops.length) return { edit: null, result: { ok: true } };
    const undo = this.run(ops);
    const result: EditResult = { ok: true };
    if (ids.length) result.ids = ids;
    if (clamped) {
      result.clamped = true;
      result.message = 'the box reached outside the image and was clipped to its border';
    }
    return { edit: { label, redo: ops, undo }, result };
  }

  /** A new box id: above every box, and every rejected box's old id (its record is keyed by it). */
  private freeId(): number {
    return Math.max(nextId(this.ds.annotations), nextId([...this.rejected.keys()].map((id) => ({ id }))));
  }

  undo(edit: AppliedEdit): void {
    this.run(edit.undo);
  }

  redo(edit: AppliedEdit): void {
    this.run(edit.redo);
  }

  /** Runs ops in order and returns the ops that reverse them (in reverse order). */
  private run(ops: readonly Op[]): Op[] {
    const inverse: Op[] = [];
    for (const o of ops) {
      if (o.op === 'putRejected') {
        const before = this.rejected.get(o.id) ?? null;
        if (o.box) this.rejected.set(o.id, structuredClone(o.box));
        else this.rejected.delete(o.id);
        inverse.push({ op: 'putRejected', id: o.id, box: before });
        continue;
      }
      if (o.op === 'putReview') {
        const before = this.review.get(o.imageId) ?? null;
        if (o.entry) this.review.set(o.imageId, { ...o.entry });
        else this.review.delete(o.imageId);
        inverse.push({ op: 'putReview', imageId: o.imageId, entry: before });
        continue;
      }
      const id = o.op === 'putAnn' ? o.ann.id : o.id;
      const i = this.ds.annotations.findIndex((a) => a.id === id);
      const before = i >= 0 ? this.ds.annotations[i]! : undefined;
      if (o.op === 'putAnn') {
        const ann = structuredClone(o.ann);
        if (i >= 0) this.ds.annotations[i] = ann;
        else this.ds.annotations.push(ann);
      } else if (i >= 0) this.ds.annotations.splice(i, 1);
      inverse.push(before ? { op: 'putAnn', ann: structuredClone(before) } : { op: 'delAnn', id });
    }
    return inverse.reverse();
  }
}
