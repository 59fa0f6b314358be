/**
 * The annotator's document model for a volume's 3D boxes: a 3D Slicer markups ROI file
 * (`.mrk.json`). The webview converts between voxel boxes and world ROIs (it knows the volume's
 * geometry), so this model only keeps the list and its undoable changes. Pure, like model.ts.
 */
import { parseSlicerRoiDocument, serializeSlicerRoi, type SlicerRoi } from '../../../../server/src/formats/slicerRoi';
import type { EditResult, RoiIntent } from '../../../../server/src/protocol';

export interface RoiEdit {
  label: string;
  before: SlicerRoi[];
  after: SlicerRoi[];
}

const VALID = (r: SlicerRoi) => r.center.every(Number.isFinite) && r.size.every((s) => Number.isFinite(s) && s > 0) && r.orientation.every(Number.isFinite);

/** Boxes kept to 1/1000 mm so saved files stay short and stable. */
function tidy(r: SlicerRoi): SlicerRoi {
  const q = (v: number) => Math.round(v * 1000) / 1000 + 0; // + 0 turns -0 into 0
  return { ...r, center: r.center.map(q) as SlicerRoi['center'], size: r.size.map(q) as SlicerRoi['size'], orientation: r.orientation.map(q) as SlicerRoi['orientation'] };
}

export class RoiModel {
  private constructor(
    private rois: SlicerRoi[],
    /** The file's top-level members besides `markups`, written back on save. */
    private readonly extra: Record<string, unknown>,
  ) {}

  static fromText(text: string, file?: string): RoiModel {
    const doc = parseSlicerRoiDocument(text, file);
    return new RoiModel(doc.rois, doc.extra);
  }

  /** The boxes as the webview gets them (without the markups' other members, which stay here). */
  list(): SlicerRoi[] {
    return structuredClone(this.rois.map(({ original: _original, ...roi }) => roi));
  }

  serialize(): string {
    return serializeSlicerRoi(this.rois, this.extra);
  }

  apply(intent: RoiIntent): { edit: RoiEdit | null; result: EditResult } {
    const refuse = (message: string) => ({ edit: null, result: { ok: false, message } });
    const next = structuredClone(this.rois);
    const indexes = 'indexes' in intent ? intent.indexes : [];
    if (indexes.some((i) => !Number.isInteger(i) || i < 0 || i >= next.length)) return refuse(`box ${indexes.join(', ')} does not exist`);
    let label: string;
    let ids: number[] | undefined;
    switch (intent.kind) {
      case 'putRoi': {
        if (!VALID(intent.roi)) return refuse('the 3D box has a non-positive or non-numeric size; nothing was changed');
        const roi = tidy(intent.roi);
        if (intent.index === null) {
          next.push(roi);
          ids = [next.length - 1];
          label = 'Draw 3D Box';
        } else {
          const old = next[intent.index];
          if (!old) return refuse(`box ${intent.index} does not exist`);
          // The webview sends the new box only: the markup's other members stay as they were.
          next[intent.index] = old.original ? { ...roi, original: old.original } : roi;
          label = 'Move 3D Box';
        }
        break;
      }
      case 'deleteRois':
      case 'rejectRois':
        if (intent.kind === 'rejectRois' && indexes.some((i) => next[i]!.source === 'manual')) return refuse('only suggested boxes can be rejected');
        for (const i of [...indexes].sort((a, b) => b - a)) next.splice(i, 1);
        label = intent.kind === 'deleteRois' ? 'Delete 3D Box' : 'Reject Suggestion';
        break;
      case 'acceptRois':
        for (const i of indexes) {
          const { score: _score, ...rest } = next[i]!;
          next[i] = { ...rest, source: 'manual' };
        }
        label = 'Accept Suggestion';
        break;
      case 'setRoiCategory':
        for (const i of indexes) next[i] = { ...next[i]!, category: intent.category };
        label = `Set Class ${intent.category}`;
        break;
    }
    if (JSON.stringify(next) === JSON.stringify(this.rois)) return { edit: null, result: { ok: true } };
    const edit = { label, before: this.rois, after: next };
    this.rois = next;
    return { edit, result: ids ? { ok: true, ids } : { ok: true } };
  }

  undo(e: RoiEdit): void {
    this.rois = structuredClone(e.before);
  }

  redo(e: RoiEdit): void {
    this.rois = structuredClone(e.after);
  }
}
