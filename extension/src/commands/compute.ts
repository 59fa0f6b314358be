import * as vscode from 'vscode';
import { ComputeStatusRequest, type ComputeStatus } from '../../../server/src/protocol';
import { COMMANDS } from '../commandIds';
import type { ExtensionServices } from '../context';

function describe(s: ComputeStatus): string {
  const skipped = s.skipped.map((k) => `${k.backend}: ${k.reason}`).join('\n');
  const versions = Object.entries(s.versions).map(([k, v]) => `${k} ${v}`).join(', ');
  return `Backend: ${s.backend}\nDevice: ${s.device}\nVersions: ${versions}${skipped ? `\n\nNot used:\n${skipped}` : ''}`;
}

export function registerComputeCommands(svc: ExtensionServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(COMMANDS.showComputeStatus, async () => {
      const status = await svc.server.request(ComputeStatusRequest, undefined);
      svc.output.appendLine(describe(status));
      void vscode.window.showInformationMessage(`MedStudio computes on ${status.backend}: ${status.device}`, {
        modal: false,
        detail: describe(status),
      });
      return status;
    }),
    vscode.commands.registerCommand(COMMANDS.restartServer, async () => {
      await svc.server.restart();
      void vscode.window.showInformationMessage('MedStudio compute server restarted.');
    }),
  ];
}
