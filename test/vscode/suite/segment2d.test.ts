/**
 * 2D segmentation from the palette: a tiny `method: segment2d` experiment on generated image +
 * mask pairs trains through "Train Experiment", and "Run Model on…" with the image open in the
 * viewer shows the run's mask over it (its explanation: where it puts the lesion).
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobInfo } from '../../../server/src/protocol';
import { makeSegFixture } from '../../unit/segment2d/fixture';
import { api, until, waitForJobEvent } from './helpers';

suite('2D segmentation from the palette in a real VS Code host', () => {
  test('a segment2d run trained from the palette shows its mask over an image in the viewer with Run Model on…', async () => {
    const a = await api();
    const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const fx = makeSegFixture();
    const data = path.join(ws, 'seg2d-data');
    fs.cpSync(path.join(fx.root, 'data'), data, { recursive: true });
    fs.rmSync(fx.root, { recursive: true, force: true });
    const exp = path.join(ws, 'seg2d.medstudio.yaml');
    fs.writeFileSync(exp, 'method: segment2d\ndata: { format: images, path: seg2d-data/images, labels: seg2d-data/masks }\nmodel: { inputSize: 32 }\nunet: { features: 8, maxFeatures: 32 }\ntrain: { epochs: 6, batchSize: 4, lr: 0.003, seed: 2 }\n');
    const job = (await vscode.commands.executeCommand('medstudio.train', vscode.Uri.file(exp))) as JobInfo;
    const ended = await waitForJobEvent('the segment2d training to end', a, (e) => (e.jobId === job.id && e.kind === 'state' && ['finished', 'failed'].includes(e.job.state) ? e.job : undefined));
    assert.equal(ended.state, 'finished', ended.error);

    const image = vscode.Uri.file(path.join(data, 'images', fs.readdirSync(path.join(data, 'images')).sort()[0]!));
    await vscode.commands.executeCommand('vscode.openWith', image, 'medstudio.viewer.image');
    await a.viewer.whenRendered(image.toString(), 60_000);
    const r = (await vscode.commands.executeCommand('medstudio.runModel', { runDir: ended.runDir })) as { ok: boolean; message?: string; overlay?: string; summary?: { outputs: { counts?: Record<string, number> }[] } };
    assert.equal(r.ok, true, r.message);
    assert.ok((r.summary!.outputs[0]!.counts?.foreground ?? 0) > 0, `the mask has lesion pixels: ${JSON.stringify(r.summary!.outputs[0]!.counts)}`);
    await until('the mask over the image in the viewer', async () => ((await a.viewer.overlays(image.toString())).includes(r.overlay!) ? true : undefined), 60_000);
  });
});
