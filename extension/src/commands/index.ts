/** Every command and editor registration. Add one line per module. */
import type * as vscode from 'vscode';
import type { ExtensionServices } from '../context';
import { registerComputeCommands } from './compute';
import { registerJobCommands } from './jobs';
import { registerNewExperiment } from './newExperiment';
import { registerGenerateBoxes } from './generateBoxes';
import { registerTrainingStatusView } from '../panels/trainingStatusView';
import { registerViewerCommands } from './viewer';
import { registerAnnotateCommands } from './annotate';
import { registerSweepCommands } from './sweeps';
import { registerPredictCommands } from './predict';

export function registerAll(svc: ExtensionServices): vscode.Disposable[] {
  return [...registerComputeCommands(svc), ...registerJobCommands(svc, svc.jobs), ...registerTrainingStatusView(svc), ...registerNewExperiment(svc), ...registerGenerateBoxes(svc), ...registerViewerCommands(svc), ...registerAnnotateCommands(svc), ...registerSweepCommands(svc), ...registerPredictCommands(svc)];
}
