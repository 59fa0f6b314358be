/**
 * Messages between the box annotator webview and the extension host (WebviewChannel maps).
 * The host owns the document: the webview posts edit intents, the host applies them to the
 * document model (one VS Code undo step each) and answers with the new state as an event.
 * Type-only apart from the constants: the webview bundle imports it too.
 */
import type { CocoAnnotation, CocoBBox, CocoDataset } from '../formats/coco';
import type { SlicerRoi } from '../formats/slicerRoi';
import { Type, type Static } from '@sinclair/typebox';
import { AnyBoxSource, SuggestSource } from './boxes';
import type { EventsFrom, RequestsFrom } from './defs';
import { IndexParam, ListOf, NameParam, OneOf, Params } from './limits';
import type { VolumeSource } from './viewer';

/** What a person decided about an image (a suspect label, or plain box review). */
export const ReviewStatus = OneOf(['reviewed', 'kept', 'relabelled', 'excluded'] as const);
export type ReviewStatus = Static<typeof ReviewStatus>;

export const ReviewEntry = Params({
  status: ReviewStatus,
  /** The new class name when status is 'relabelled'. */
  label: Type.Optional(NameParam),
});
export type ReviewEntry = Static<typeof ReviewEntry>;

const Coordinate = Type.Number({ minimum: -1e9, maximum: 1e9 });
/** COCO [x, y, width, height] in pixels. */
const BBox = Type.Tuple([Coordinate, Coordinate, Coordinate, Coordinate]);
const Score = Type.Number({ minimum: 0, maximum: 1 });
const Ids = ListOf(IndexParam);
const Vec3 = Type.Tuple([Coordinate, Coordinate, Coordinate]);
/** A 3D Slicer ROI as the webview sends it (formats/slicerRoi's SlicerRoi, checked). */
const Roi = Params({
  coordinateSystem: OneOf(['LPS', 'RAS'] as const),
  center: Vec3,
  size: Vec3,
  orientation: Type.Tuple([Coordinate, Coordinate, Coordinate, Coordinate, Coordinate, Coordinate, Coordinate, Coordinate, Coordinate]),
  label: Type.String({ maxLength: 256 }),
  source: AnyBoxSource,
  score: Type.Optional(Score),
  category: Type.Optional(NameParam),
  /** The markup's other members as read, passed back so that saving keeps them (formats/slicerRoi). */
  original: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.Unknown())),
});

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

const kind = <K extends string>(k: K) => Type.Literal(k);
/** A box edit as the webview asks for it; the host turns it into an undoable edit. */
export const AnnotatorIntent = Type.Union([
  Params({ kind: kind('addBox'), imageId: IndexParam, bbox: BBox, categoryId: IndexParam }),
  Params({ kind: kind('setBox'), id: IndexParam, bbox: BBox }),
  Params({ kind: kind('deleteBoxes'), ids: Ids }),
  Params({ kind: kind('setCategory'), ids: Ids, categoryId: IndexParam }),
  Params({ kind: kind('addSuggestions'), imageId: IndexParam, categoryId: IndexParam, boxes: ListOf(Params({ bbox: BBox, score: Score, source: SuggestSource }), 10_000) }),
  /** Suggested boxes become the person's own (`manual`, no score). */
  Params({ kind: kind('acceptSuggestions'), ids: Ids }),
  /** Suggested boxes are dropped. */
  Params({ kind: kind('rejectSuggestions'), ids: Ids }),
  Params({ kind: kind('review'), imageId: IndexParam, entry: Type.Union([ReviewEntry, Type.Null()]) }),
]);
export type AnnotatorIntent = Static<typeof AnnotatorIntent>;

/** A 3D box edit on a volume's `.mrk.json` (boxes by their index in the file). */
export const RoiIntent = Type.Union([
  /** index null: a new box. The webview converts voxel boxes to world ROIs with the volume's geometry. */
  Params({ kind: kind('putRoi'), index: Type.Union([IndexParam, Type.Null()]), roi: Roi }),
  Params({ kind: kind('deleteRois'), indexes: Ids }),
  Params({ kind: kind('acceptRois'), indexes: Ids }),
  Params({ kind: kind('rejectRois'), indexes: Ids }),
  Params({ kind: kind('setRoiCategory'), indexes: Ids, category: NameParam }),
]);
export type RoiIntent = Static<typeof RoiIntent>;
// The checked ROI is exactly a SlicerRoi, the checked box a CocoBBox: a compile error here means
// the format gained or changed a field and the schema above must follow.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const roiSchemaIsSlicerRoi: Same<Static<typeof Roi>, SlicerRoi> = true;
const bboxSchemaIsCocoBBox: Same<Static<typeof BBox>, CocoBBox> = true;
void roiSchemaIsSlicerRoi;
void bboxSchemaIsCocoBBox;

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

/** webview -> host requests: the params each accepts (checked by the host where they arrive). */
export const AnnotatorHostRequestParams = {
  /** The webview is up: the current state. */
  ready: Type.Null(),
  edit: AnnotatorIntent,
  editRoi: RoiIntent,
  /** The volume a 'roi' document's boxes are drawn on (found next to the .mrk.json). */
  volume: Type.Null(),
  /** A URI the webview can load the image from (only files inside the workspace / dataset). */
  image: Params({ imageId: IndexParam }),
  /** Asks the compute server for boxes on the image and adds them as suggestions. */
  suggest: Params({ imageId: IndexParam, source: SuggestSource, categoryId: IndexParam }),
  /** Lets the person pick a data-cleaning report and opens its suspects as the review queue. */
  openReviewQueue: Type.Null(),
};
export type AnnotatorHostRequests = RequestsFrom<
  typeof AnnotatorHostRequestParams,
  {
    ready: AnnotatorState;
    edit: EditResult;
    editRoi: EditResult;
    volume: { source: VolumeSource; maxBytes: number };
    image: { src: string };
    suggest: EditResult;
    openReviewQueue: { count: number; unmatched: number };
  }
>;

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
export const AnnotatorHostEventPayloads = {
  /** The image the person looks at changed (for commands like "Suggest Boxes"). */
  currentImage: Params({ imageId: IndexParam }),
  /** A .mrk.json's volume loaded and is on screen. */
  volumeShown: Params({ name: Type.String({ maxLength: 4096 }), dims: ListOf(Type.Integer({ minimum: 0 }), 8) }),
};
export type AnnotatorHostEvents = EventsFrom<typeof AnnotatorHostEventPayloads>;

/** View type of the custom editor (package.json contributes the same id). */
export const ANNOTATOR_VIEW_TYPE = 'medstudio.annotator';
/** The same editor for any `*.json`, offered under "Open With…" only. */
export const ANNOTATOR_JSON_VIEW_TYPE = 'medstudio.annotator.json';
