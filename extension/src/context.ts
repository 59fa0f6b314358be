import type * as vscode from 'vscode';
import type { ServerClient } from './serverClient';
import type { ComputeStatusBar } from './statusBar';
import type { JobsModel } from './jobs/jobsModel';

/** What command and editor modules get from activate(). */
export interface ExtensionServices {
  context: vscode.ExtensionContext;
  server: ServerClient;
  statusBar: ComputeStatusBar;
  output: vscode.OutputChannel;
  jobs: JobsModel;
}
