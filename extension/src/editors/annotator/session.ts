/**
 * The host side of an open box file, without `vscode`: the document model (or the parse error
 * that keeps the file read-only), the review queue, and the handlers for the webview's requests.
 * The custom editor provider wires it to VS Code (edit stack, files, server); the Chromium tests
 * wire the very same handlers to the test page.
 */
import { CocoFormatError } from '../../../../server/src/formats/coco';
import type { AnnotatorHostRequests, AnnotatorIntent, AnnotatorPatch, AnnotatorState, EditResult, RoiIntent, SuspectItem, VolumeSource } from '../../../../server/src/protocol';
import type { SuggestedBox, SuggestSource } from '../../../../server/src/protocol';
import { AnnotatorModel, patchOf, type AppliedEdit } from './model';
import { RoiModel } from './roiModel';

/** Classes offered for 3D boxes when the file names none yet. */
const DEFAULT_ROI_CLASSES = ['lesion'];
const roiClassesOf = (rois: readonly { category?: string }[]): string[] => {
  const named = [...new Set(rois.map((r) => r.category).filter((c): c is string => !!c))];
  return named.length ? named : DEFAULT_ROI_CLASSES;
};

/** What the session needs from its environment. */
export interface SessionHost {
  /** A URI the webview can load the image from; throws when the path is refused. */
  imageSrc(fileName: string): Promise<string>;
  /** Boxes the compute server proposes for the image (`runDir`: the run to use; else the person picks one where the source needs a run). */
  suggest(fileName: string, source: SuggestSource, runDir?: string): Promise<SuggestedBox[]>;
  /** The volume a .mrk.json's boxes belong to (throws a clear error when none is found). */
  volumeSource(): Promise<{ source: VolumeSource; maxBytes: number }>;
  /** Lets the person choose a suspects report; null when cancelled. */
  pickReviewQueue(): Promise<SuspectItem[] | null>;
  /** An edit was applied: put it on the undo stack. */
  pushEdit(edit: { label: string; undo(): void; redo(): void }): void;
  /** False in an untrusted workspace. */
  canEdit(): boolean;
}

/** What the webviews are told after a change: the whole state, or just what an edit changed. */
export type AnnotatorUpdate = { type: 'state'; payload: AnnotatorState } | { type: 'patch'; payload: AnnotatorPatch };

export type HostHandlers = { [M in keyof AnnotatorHostRequests]: (p: AnnotatorHostRequests[M]['params']) => Promise<AnnotatorHostRequests[M]['result']> };

export class AnnotatorSession {
  private model: AnnotatorModel | null = null;
  private roiModel: RoiModel | null = null;
  readonly kind: 'coco' | 'roi';
  private error: string | undefined;
  private version = 0;
  private queue: SuspectItem[] = [];
  private readonly listeners = new Set<(u: AnnotatorUpdate) => void>();

  constructor(
    readonly fileName: string,
    text: string,
    private readonly host: SessionHost,
  ) {
    this.kind = /\.mrk\.json$/i.test(fileName) ? 'roi' : 'coco';
    this.load(text);
  }

  /** (Re)reads the document from text; a parse error leaves the session in error, read-only. */
  load(text: string): void {
    try {
      if (this.kind === 'roi') this.roiModel = RoiModel.fromText(text, this.fileName);
      else this.model = AnnotatorModel.fromText(text, this.fileName);
      this.error = undefined;
    } catch (e) {
      this.model = null;
      this.roiModel = null;
      this.error = e instanceof CocoFormatError ? e.message : `${this.fileName}: ${e instanceof Error ? e.message : String(e)}`;
    }
    this.changed();
  }

  get hasError(): boolean {
    return this.error !== undefined;
  }

  /** The file's text to save; throws while the file is in error so it is never overwritten. */
  serialize(): string {
    const m = this.model ?? this.roiModel;
    if (!m) throw new Error(`${this.fileName} was not saved: it did not open (${this.error ?? 'unknown error'}). Fix the file in a text editor.`);
    return m.serialize();
  }

  state(): AnnotatorState {
    const rois = this.roiModel?.list();
    return {
      fileName: this.fileName,
      kind: this.kind,
      // The file's own classes ('nodule' for the CT samples); the default only for a file without any.
      ...(rois ? { rois, roiClasses: roiClassesOf(rois) } : {}),
      version: this.version,
      ...(this.error ? { error: this.error } : {}),
      dataset: this.model ? this.model.dataset() : null,
      review: this.model ? this.model.reviewRecord() : {},
      queue: this.queue,
      readOnly: !(this.model ?? this.roiModel) || !this.host.canEdit(),
    };
  }

  onDidUpdate(fn: (u: AnnotatorUpdate) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Tells the webviews again (workspace trust changed, so `readOnly` did). */
  refresh(): void {
    this.changed();
  }

  /** Bumps the version and tells the webviews: a patch when an edit's ops say what changed. */
  private changed(patch?: Omit<AnnotatorPatch, 'version'>): void {
    this.version++;
    if (!this.listeners.size) return;
    const u: AnnotatorUpdate = patch ? { type: 'patch', payload: { ...patch, version: this.version } } : { type: 'state', payload: this.state() };
    for (const fn of this.listeners) fn(u);
  }

  /** Applies an intent as one undoable edit (the path both the webview and tests use). */
  apply(intent: AnnotatorIntent): EditResult {
    if (!this.model) return { ok: false, message: `the file did not open, so it cannot be edited: ${this.error ?? ''}` };
    if (!this.host.canEdit()) return { ok: false, message: 'this workspace is not trusted: annotations are read-only' };
    const model = this.model;
    const { edit, result } = model.apply(intent);
    if (edit) {
      this.host.pushEdit(this.undoable(model, edit));
      this.changed(patchOf(edit.redo));
    }
    return result;
  }

  private undoable(model: AnnotatorModel, edit: AppliedEdit): { label: string; undo(): void; redo(): void } {
    // A revert swaps the model: edits of the old one must not touch the new one.
    return {
      label: edit.label,
      undo: () => {
        if (this.model !== model) return;
        model.undo(edit);
        this.changed(patchOf(edit.undo));
      },
      redo: () => {
        if (this.model !== model) return;
        model.redo(edit);
        this.changed(patchOf(edit.redo));
      },
    };
  }

  /** Applies a 3D box edit as one undoable edit. */
  applyRoi(intent: RoiIntent): EditResult {
    const model = this.roiModel;
    if (!model) return { ok: false, message: `the file did not open as 3D boxes, so it cannot be edited: ${this.error ?? 'not a .mrk.json'}` };
    if (!this.host.canEdit()) return { ok: false, message: 'this workspace is not trusted: annotations are read-only' };
    const { edit, result } = model.apply(intent);
    if (edit) {
      this.host.pushEdit({
        label: edit.label,
        undo: () => {
          if (this.roiModel !== model) return;
          model.undo(edit);
          this.changed();
        },
        redo: () => {
          if (this.roiModel !== model) return;
          model.redo(edit);
          this.changed();
        },
      });
      this.changed();
    }
    return result;
  }

  setQueue(items: SuspectItem[]): void {
    this.queue = items;
    this.changed();
  }

  private image(imageId: number): { file_name: string } {
    const img = this.model?.image(imageId);
    if (!img) throw new Error(`image ${imageId} is not in ${this.fileName}`);
    return img;
  }

  /**
   * Handlers for one webview's requests; `imageSrc` turns an image into a URI that webview can
   * load (each panel has its own).
   */
  /** Adds the boxes `source` proposes for the image as suggestions (from a given run where it needs one). */
  async suggestFrom(imageId: number, categoryId: number, source: SuggestSource, runDir?: string): Promise<EditResult> {
    const boxes = await this.host.suggest(this.image(imageId).file_name, source, runDir);
    const suggestions = boxes.filter((b) => b.source !== 'manual').map((b) => ({ bbox: b.bbox, score: b.score, source: b.source as SuggestSource }));
    return this.apply({ kind: 'addSuggestions', imageId, categoryId, boxes: suggestions });
  }

  handlers(webview: { imageSrc?: SessionHost['imageSrc']; volumeSource?: SessionHost['volumeSource'] } = {}): HostHandlers {
    const imageSrc = webview.imageSrc ?? ((f: string) => this.host.imageSrc(f));
    const volumeSource = webview.volumeSource ?? (() => this.host.volumeSource());
    return {
      ready: async () => this.state(),
      edit: async (intent) => this.apply(intent),
      editRoi: async (intent) => this.applyRoi(intent),
      volume: async () => volumeSource(),
      image: async ({ imageId }) => ({ src: await imageSrc(this.image(imageId).file_name) }),
      suggest: async ({ imageId, source, categoryId }) => this.suggestFrom(imageId, categoryId, source),
      openReviewQueue: async () => {
        const items = await this.host.pickReviewQueue();
        if (!items) return { count: this.queue.length, unmatched: 0 };
        this.setQueue(items);
        return { count: items.length, unmatched: items.filter((i) => i.imageId === undefined).length };
      },
    };
  }
}
