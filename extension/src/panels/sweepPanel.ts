/** The training panel's sweep and compare requests, answered by the server; sweep tables streamed into the panel. */
import type * as vscode from 'vscode';
import { CancelSweepRequest, CompareRunsRequest, ListSweepsRequest, SweepChangedNotification, type SweepTable } from '../../../server/src/protocol';
import type { ServerClient } from '../serverClient';
import type { PanelChannel } from './trainingStatusView';

export function handleSweepRequests(ch: PanelChannel, server: ServerClient): void {
  ch.handle('sweeps', () => server.request(ListSweepsRequest, undefined));
  ch.handle('compare', ({ runDirs }) => server.request(CompareRunsRequest, { runDirs }));
  ch.handle('cancelSweep', ({ sweepDir }) => server.request(CancelSweepRequest, { sweepDir }));
}

export function watchSweeps(server: ServerClient, fn: (t: SweepTable) => void): vscode.Disposable {
  return server.onNotification(SweepChangedNotification, fn);
}
