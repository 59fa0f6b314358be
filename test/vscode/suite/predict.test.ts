/**
 * "Run Model on…" as a user meets it, on real MRI: a U-Net trained through the palette on real
 * hippocampus volumes, then run on a volume it never saw, open in the viewer; its label map
 * must come up as an overlay on that volume, written in the volume's own grid and geometry.
 */
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { JobInfo } from '../../../server/src/protocol';
import { api, until, waitForJobEvent } from './helpers';

/** dims, pixdim and the sform of a NIfTI-1 header: the voxel grid and where it sits. */
function grid(file: string): { dims: number[]; pixdim: number[]; sform: number[] } {
  const raw = fs.readFileSync(file);
  const b = file.endsWith('.gz') ? gunzipSync(raw) : raw;
  const dv = new DataView(b.buffer, b.byteOffset, 352);
  const dims = [1, 2, 3].map((i) => dv.getInt16(40 + 2 * i, true));
  const pixdim = [1, 2, 3].map((i) => dv.getFloat32(76 + 4 * i, true));
  assert.ok(dv.getInt16(254, true) > 0, `${path.basename(file)} has an sform`);
  const sform = Array.from({ length: 12 }, (_, i) => dv.getFloat32(280 + 4 * i, true));
  return { dims, pixdim, sform };
}

suite('Run Model on… in a real VS Code host', () => {
  test('a U-Net trained through the palette on real hippocampus MRI shows its label map aligned over a volume it never saw', async function () {
    const a = await api();
    const ws = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const real = path.join(ws, 'real-hippocampus');
    if (!fs.existsSync(real)) {
      console.log('# skipped: ../shared/data/real/hippocampus is not on this machine (this test needs the real MRI volumes)');
      this.skip();
    }
    const names = fs.readdirSync(path.join(real, 'images')).sort();
    fs.writeFileSync(path.join(real, 'split.csv'), ['path,split', ...names.map((n, i) => `images/${n},${i < 4 ? 'train' : i === 4 ? 'val' : 'test'}`)].join('\n') + '\n');
    const exp = path.join(real, 'unet.medstudio.yaml');
    fs.writeFileSync(
      exp,
      `method: segment
data: { format: volumes, path: images, labels: labels, classes: [background, anterior, posterior], split: split.csv }
model: { backbone: unet }
unet: { features: 4, maxFeatures: 16, stepsPerEpoch: 3, batchSize: 2, mirror: false }
train: { epochs: 1, seed: 1 }
`,
    );
    const job = (await vscode.commands.executeCommand('medstudio.train', vscode.Uri.file(exp))) as JobInfo;
    const ended = await waitForJobEvent('the U-Net training to end', a, (e) => (e.jobId === job.id && e.kind === 'state' && ['finished', 'failed'].includes(e.job.state) ? e.job : undefined), 420_000);
    assert.equal(ended.state, 'finished', ended.error);

    const heldout = path.join(real, 'heldout', fs.readdirSync(path.join(real, 'heldout'))[0]!);
    const volume = vscode.Uri.file(heldout);
    await vscode.commands.executeCommand('vscode.openWith', volume, 'medstudio.viewer');
    await a.viewer.whenRendered(volume.toString(), 120_000);

    // The volume in the active viewer is the input; the run is given (the picker is the one Explain uses).
    const r = (await vscode.commands.executeCommand('medstudio.runModel', { runDir: ended.runDir })) as { ok: boolean; message?: string; overlay?: string; summary?: { outputs: { output?: string; input: string }[] } };
    assert.equal(r.ok, true, r.message);
    const out = r.summary!.outputs[0]!;
    assert.equal(out.input, heldout);
    assert.equal(path.dirname(out.output!), path.join(ended.runDir, 'predictions'));
    await until('the predicted label map over the volume in the viewer', async () => ((await a.viewer.overlays(volume.toString())).includes(r.overlay!) ? true : undefined), 60_000);
    // The viewer refuses a label map on another grid; the geometry must be the volume's own too.
    const g0 = grid(heldout);
    const g1 = grid(out.output!);
    assert.deepEqual(g1.dims, g0.dims);
    g1.pixdim.forEach((v, i) => assert.ok(Math.abs(v - g0.pixdim[i]!) < 1e-4, `pixdim ${g1.pixdim} vs ${g0.pixdim}`));
    g1.sform.forEach((v, i) => assert.ok(Math.abs(v - g0.sform[i]!) < 1e-3, `sform ${g1.sform} vs ${g0.sform}`));
  });
});
