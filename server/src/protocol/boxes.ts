import type { Static } from '@sinclair/typebox';
import { request } from './defs';
import { IndexParam, OneOf, Params, PathParam } from './limits';
import { Type } from '@sinclair/typebox';

export const BOX_SOURCES = ['manual', 'saliency', 'segmentation', 'model'] as const;
export type BoxSource = (typeof BOX_SOURCES)[number];
/** Sources of proposed boxes (not drawn by a person). */
export const ProposedBoxSource = OneOf(['saliency', 'segmentation'] as const);
export const AnyBoxSource = OneOf(BOX_SOURCES);
/** Where the annotator's "Suggest Boxes" may take boxes from: the generators, or a trained detection run (`model`). */
export const SuggestSource = OneOf(['saliency', 'segmentation', 'model'] as const);
export type SuggestSource = Static<typeof SuggestSource>;

export interface SuggestedBox {
  /** COCO order: x, y, width, height in pixels of the image. */
  bbox: [number, number, number, number];
  score: number;
  source: BoxSource;
}

export const SuggestBoxesParams = Params({
  imagePath: PathParam,
  source: SuggestSource,
  runDir: Type.Optional(PathParam),
  maxBoxes: Type.Optional(IndexParam),
});
export type SuggestBoxesParams = Static<typeof SuggestBoxesParams>;

/** client -> server: boxes a model or saliency method proposes for one image, for review. */
export const SuggestBoxesRequest = request<typeof SuggestBoxesParams, { boxes: SuggestedBox[] }>('medstudio/boxes/suggest', SuggestBoxesParams);

export const GenerateBoxesParams = Params({
  experimentPath: PathParam,
  source: ProposedBoxSource,
  /** The COCO file to write; default `boxes.<source>.coco.json` beside the experiment. Inside the workspace. */
  out: Type.Optional(PathParam),
});

/** client -> server: generate boxes for every image of an experiment's data (a COCO file to review). */
export const GenerateBoxesRequest = request<
  typeof GenerateBoxesParams,
  {
    /** The file written: `out` (new, or merged into), or a new name beside an unreadable `out`. */
    file: string;
    /** Boxes in that file. */
    boxes: number;
    source: Exclude<BoxSource, 'manual'>;
    /** An existing box file is never replaced: merged keeps every reviewed box and decision. */
    mode: 'new' | 'merged' | 'beside';
    /** What happened, in a sentence for the person. */
    message: string;
  }
>('medstudio/boxes/generate', GenerateBoxesParams);

export const RankByUncertaintyParams = Params({
  /** A finished `method: detect` run. */
  runDir: PathParam,
  imagePaths: Type.Array(PathParam, { minItems: 1, maxItems: 10_000 }),
});

/**
 * client -> server: the images ordered by how unsure the run's detector is about them (most
 * uncertain first), for the annotator's active-learning queue: label those next.
 */
export const RankByUncertaintyRequest = request<typeof RankByUncertaintyParams, { images: { imagePath: string; topScore: number; uncertainty: number }[] }>('medstudio/boxes/rankByUncertainty', RankByUncertaintyParams);
