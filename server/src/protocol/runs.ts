import { Type } from '@sinclair/typebox';
import { request } from './defs';
import { OneOf, Params } from './limits';
import type { JobState } from './jobs';

/** What a caller needs a run to hold: a saved model, a segmentation model, cleaning reports, a trained detector (a `detect` run's model), or a model `predict` takes. */
export const RUN_HOLDS = ['model', 'segmentationModel', 'suspects', 'detector', 'predictor'] as const;
export type RunHolds = (typeof RUN_HOLDS)[number];

/** One run folder as the server found it (times are ISO strings). */
export interface RunSummary {
  runId: string;
  runDir: string;
  experimentPath: string;
  method: string;
  state: JobState;
  createdAt: string;
  epoch: number;
  epochs: number;
  /** When model/model.json was saved, if the run saved a model. */
  modelSavedAt?: string;
  /** When segmentation-model/model.json was saved, if the run trained one. */
  segmentationModelSavedAt?: string;
  /** What `predict` makes with this run's model, when it has one that predicts. */
  predictor?: 'segmentation' | 'classification';
  /** Data-cleaning reports (cleaning/*.suspects.json), newest first. */
  suspectReports: { file: string; savedAt: string }[];
}

export const ListRunsParams = Params({ holds: Type.Optional(OneOf(RUN_HOLDS)) });

/**
 * client -> server: every run of the workspace, newest first: the job list's runs and every
 * `.medstudio/runs/<id>/` under the workspace folders (the workspace's, and an experiment
 * folder's when its runs went there). `holds` keeps only runs that hold that output.
 */
export const ListRunsRequest = request<typeof ListRunsParams, { runs: RunSummary[] }>('medstudio/runs/list', ListRunsParams);
