/**
 * Messages between the box annotator webview and the extension host (WebviewChannel maps).
 * The host owns the document: the webview posts edit intents, the host applies them to the
 * document model (one VS Code undo step each) and answers with the new state as an event.
 * Type-only apart from the constants: the webview bundle imports it too.
 */
import type { CocoAnnotation, CocoBBox, CocoDataset } from '../formats/coco';
import type { SlicerRoi } from '../formats/slicerRoi';
import type { BoxSource } from './boxes';
import type { VolumeSource } from './viewer';

/** What a person decided about an image (a suspect label, or plain box review). */
export type ReviewStatus = 'reviewed' | 'kept' | 'relabelled' | 'excluded';

export interface ReviewEntry {
  status: ReviewStatus;
  /** The new class name when status is 'relabelled'. */
  label?: string;
}

/** One suspect label from the data-cleaning report, resolved against the COCO images. */
export interface SuspectItem {
  /** The image's id in the COCO file; absent when the report's image is not in it. */
  imageId?: number;
  /** The report's path or name of the image. */
  image: string;
  givenLabel: string;
  suggestedLabel?: string;
  /** How suspect the label is (higher = more likely wrong). */
  score?: number;
}

/** A box edit as the webview asks for it; the host turns it into an undoable edit. */
export type AnnotatorIntent =
  | { kind: 'addBox'; imageId: number; bbox: CocoBBox; categoryId: number }
  | { kind: 'setBox'; id: number; bbox: CocoBBox }
  | { kind: 'deleteBoxes'; ids: number[] }
  | { kind: 'setCategory'; ids: number[]; categoryId: number }
  | { kind: 'addSuggestions'; imageId: number; categoryId: number; boxes: { bbox: CocoBBox; score: number; source: Exclude<BoxSource, 'manual'> }[] }
  /** Suggested boxes become the person's own (`manual`, no score). */
  | { kind: 'acceptSuggestions'; ids: number[] }
  /** Suggested boxes are dropped. */
  | { kind: 'rejectSuggestions'; ids: number[] }
  | { kind: 'review'; imageId: number; entry: ReviewEntry | null };

/** A 3D box edit on a volume's `.mrk.json` (boxes by their index in the file). */
export type RoiIntent =
  /** index null: a new box. The webview converts voxel boxes to world ROIs with the volume's geometry. */
  | { kind: 'putRoi'; index: number | null; roi: SlicerRoi }
  | { kind: 'deleteRois'; indexes: number[] }
  | { kind: 'acceptRois'; indexes: number[] }
  | { kind: 'rejectRois'; indexes: number[] }
  | { kind: 'setRoiCategory'; indexes: number[]; category: string };

export interface EditResult {
  /** False when the edit was refused (nothing changed); `message` says why. */
  ok: boolean;
  message?: string;
  /** Ids of boxes the edit created. */
  ids?: number[];
  /** True when a box was clipped to the image. */
  clamped?: boolean;
}

/** Everything the webview shows of the document. */
export interface AnnotatorState {
  /** Name of the box file, for the title line. */
  fileName: string;
  /** 'coco': 2D boxes on images; 'roi': 3D boxes (a .mrk.json) on one volume. */
  kind: 'coco' | 'roi';
  /** Incremented on every change, so the webview can drop stale state. */
  version: number;
  /** The file did not parse: shown instead of the image, and the file is never saved. */
  error?: string;
  dataset: CocoDataset | null;
  /** The 3D boxes of a 'roi' document. */
  rois?: SlicerRoi[];
  /** Classes offered for 3D boxes (the categories of the file's boxes, or a default). */
  roiClasses?: string[];
  /** Review decisions by image id (saved in the file's `info.medstudio.review`). */
  review: Record<string, ReviewEntry>;
  /** Suspect labels to review, in report order (not saved; reopen the report to get them). */
  queue: SuspectItem[];
  /** Edits are refused (untrusted workspace or file in error). */
  readOnly: boolean;
}

/**
 * The change one edit (or its undo/redo) made, so a large dataset is not resent whole on every
 * edit. `version` is the state's version after it: the webview asks for the full state again
 * when a patch does not follow the version it has.
 */
export interface AnnotatorPatch {
  version: number;
  /** Boxes added or changed, whole. */
  upsert: CocoAnnotation[];
  /** Ids of boxes removed. */
  remove: number[];
  /** Review decisions set (null: cleared), by image id. */
  review: Record<string, ReviewEntry | null>;
}

/** webview -> host requests. */
export type AnnotatorHostRequests = {
  /** The webview is up: the current state. */
  ready: { params: null; result: AnnotatorState };
  edit: { params: AnnotatorIntent; result: EditResult };
  editRoi: { params: RoiIntent; result: EditResult };
  /** The volume a 'roi' document's boxes are drawn on (found next to the .mrk.json). */
  volume: { params: null; result: { source: VolumeSource; maxBytes: number } };
  /** A URI the webview can load the image from (only files inside the workspace / dataset). */
  image: { params: { imageId: number }; result: { src: string } };
  /** Asks the compute server for boxes on the image and adds them as suggestions. */
  suggest: { params: { imageId: number; source: Exclude<BoxSource, 'manual'>; categoryId: number }; result: EditResult };
  /** Lets the person pick a data-cleaning report and opens its suspects as the review queue. */
  openReviewQueue: { params: null; result: { count: number; unmatched: number } };
};

/** host -> webview requests (none yet). */
export type AnnotatorWebviewRequests = Record<never, { params: unknown; result: unknown }>;

/** host -> webview events. */
export type AnnotatorWebviewEvents = {
  state: AnnotatorState;
  patch: AnnotatorPatch;
  /** A message for the person (a refused edit, a failed image load). */
  notice: { level: 'info' | 'warning' | 'error'; message: string };
  /** Show this image (from a command or a test). */
  showImage: { imageId: number };
  /**
   * Draw this box as if by mouse, through the webview's own edit path (the real-VS-Code tests
   * use it; the class defaults to the one picked in the toolbar).
   */
  drawBox: { imageId: number; bbox: CocoBBox; categoryId?: number };
};

/** webview -> host events. */
export type AnnotatorHostEvents = {
  /** The image the person looks at changed (for commands like "Suggest Boxes"). */
  currentImage: { imageId: number };
  /** A .mrk.json's volume loaded and is on screen. */
  volumeShown: { name: string; dims: number[] };
};

/** View type of the custom editor (package.json contributes the same id). */
export const ANNOTATOR_VIEW_TYPE = 'medstudio.annotator';
/** The same editor for any `*.json`, offered under "Open With…" only. */
export const ANNOTATOR_JSON_VIEW_TYPE = 'medstudio.annotator.json';
