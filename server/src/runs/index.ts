/**
 * Run infrastructure shared by every method: run folders, metrics.jsonl, run.json, atomic
 * checkpoints (models + optimiser state + position) and LayersModel save/load, and the runner
 * that the CLI and the job queue call.
 */
export { findWorkspaceRoot, defaultRunsDir } from './workspace';
export { newRunId } from './runId';
export { writeDirAtomic, resolveAtomicDir } from './atomicDir';
export { saveModel, loadModel, loadWeightsInto, modelFiles, readModelMetadata, dirHandler } from './modelIo';
export { saveCheckpoint, loadCheckpoint, restoreCheckpoint, findCheckpoints, latestCheckpoint, readCheckpointState, checkpointsDir, type CheckpointState, type CheckpointParts } from './checkpoint';
export {
  createRun,
  openRun,
  readRunInfo,
  writeRunInfo,
  appendMetrics,
  readMetrics,
  truncateMetricsAfter,
  headlineMetric,
  RUN_FILES,
  type Run,
  type RunInfo,
} from './runDir';
export { runExperiment, type RunEvent, type RunOptions, type RunOutcome } from './runner';
