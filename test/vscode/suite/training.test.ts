import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { JobInfo } from '../../../server/src/protocol';
import { api, tinyExperiment, waitForJobEvent as waitFor } from './helpers';

suite('Training from the command palette', () => {
  test('a tiny training on the samples streams into the status bar and the panel, then finishes', async () => {
    const a = await api();
    await vscode.commands.executeCommand('medstudio.showTrainingStatus');
    const shownBefore = a.trainingStatus.eventsShown();
    const uri = tinyExperiment('tiny-finish', 2);
    const job = (await vscode.commands.executeCommand('medstudio.train', uri)) as JobInfo;
    assert.ok(job?.id, 'Train Experiment returns the queued job');
    const epochText = await waitFor('the status bar to show the epoch', a, (e) => (e.jobId === job.id && /epoch \d+\/\d+/.test(a.statusBarText()) ? a.statusBarText() : undefined));
    // The backend, with the native kernels named when they carry the work ("wasm + oneDNN").
    assert.match(epochText, /MedStudio: [\w-]+( \+ oneDNN)? · epoch/);
    const ended = await waitFor('the job to end', a, (e) => (e.jobId === job.id && e.kind === 'state' && ['finished', 'failed'].includes(e.job.state) ? e.job : undefined));
    assert.equal(ended.state, 'finished', ended.error);
    const view = a.jobs.get(job.id)!;
    assert.ok(view.metrics.some((m) => m.split === 'val' && typeof m.balancedAccuracy === 'number'), 'validation metrics were streamed');
    assert.ok(a.trainingStatus.timesResolved() > 0, 'the training panel is live');
    assert.ok(a.trainingStatus.eventsShown() > shownBefore + 2, 'the panel was sent the job events');
    assert.ok(fs.existsSync(path.join(ended.runDir, 'model', 'model.json')), 'the model was saved in the run folder');
    assert.ok(!/epoch/.test(a.statusBarText()), 'the status bar drops the job when it ends');
  });

  test('Cancel stops a running job and leaves it resumable', async () => {
    const a = await api();
    const job = (await vscode.commands.executeCommand('medstudio.train', tinyExperiment('tiny-cancel', 50))) as JobInfo;
    await waitFor('training progress', a, (e) => (e.jobId === job.id && e.kind === 'progress' ? true : undefined));
    const cancelled = waitFor('the job to be cancelled', a, (e) => (e.jobId === job.id && e.kind === 'state' && !['running', 'queued'].includes(e.job.state) ? e.job : undefined));
    await vscode.commands.executeCommand('medstudio.cancel', job.id);
    const info = await cancelled;
    assert.equal(info.state, 'cancelled');
    const listed = (await a.jobs.refresh()).find((v) => v.info.id === job.id);
    assert.equal(listed?.info.state, 'cancelled', 'the server lists it as cancelled (resumable)');
  });
});
