import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { PNG } from 'pngjs';
import { explain } from '../../../server/src/cli/commands/explain';
import type { CliIo } from '../../../server/src/cli/types';
import { readImage } from '../../../server/src/data/readers';
import { encodeNiftiGz } from '../../../server/src/data/writers/nifti';
import { ensureBackend } from '../../../server/src/engine/backend';
import { createRng } from '../../../server/src/transforms';
import { makeImages, saveRun, tempDir, tinyCnn } from './fixtures';

let dir = '';
const lines: string[] = [];
const io: CliIo = { json: false, out: (l) => lines.push(l), err: (l) => lines.push(l), tty: false };

before(async () => {
  await ensureBackend();
  dir = tempDir('cli');
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** conv3d(4) -> conv3d(4, 'last') -> average pool (global) -> dense(2), input 8^3. */
function tiny3d(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv3d({ inputShape: [8, 8, 8, 1], filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.heNormal({ seed: 1 }) }),
      tfl.layers.conv3d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'last', kernelInitializer: tfl.initializers.heNormal({ seed: 2 }) }),
      tfl.layers.averagePooling3d({ poolSize: 8 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 2, name: 'logits', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
}

function readPng(file: string): PNG {
  return PNG.sync.read(fs.readFileSync(file));
}

/** Pixels whose colour is clearly not grey: the heat colormap is there. */
function colouredShare(png: PNG): number {
  let n = 0;
  for (let i = 0; i < png.width * png.height; i++) {
    const [r, g, b] = [png.data[i * 4]!, png.data[i * 4 + 1]!, png.data[i * 4 + 2]!];
    if (Math.max(r, g, b) - Math.min(r, g, b) > 30) n++;
  }
  return n / (png.width * png.height);
}

test('the CLI writes a Grad-CAM overlay PNG over a 2D image', async () => {
  const model = tinyCnn(3);
  const runDir = path.join(dir, 'run2d');
  await saveRun(runDir, model);
  model.dispose();
  const image = makeImages(path.join(dir, 'img'), 2, 5)[1]!.path;
  const out = path.join(dir, 'out2d');
  const r = (await explain.run({ positionals: [runDir, image], values: { out, method: 'gradcam', class: 'lesion' } }, io)) as { files: string[]; className: string };
  assert.equal(r.className, 'lesion');
  assert.deepEqual(r.files, [path.join(out, 'img-5-1.gradcam.png')]);
  const png = readPng(r.files[0]!);
  // 32 px images are enlarged 8x so the shorter side reaches 256 px.
  assert.equal(png.width, 256);
  assert.equal(png.height, 256);
  assert.ok(colouredShare(png) > 0.5, 'the heat colormap is missing');
  assert.deepEqual(fs.readdirSync(out), ['img-5-1.gradcam.png']); // no temp files left behind
});

test('the CLI writes middle-slice overlays and a NIfTI heatmap on the volume geometry', async () => {
  const model = tiny3d();
  const runDir = path.join(dir, 'run3d');
  await saveRun(runDir, model);
  model.dispose();
  const dims = [12, 10, 8];
  const rng = createRng(3);
  const data = new Int16Array(12 * 10 * 8).map(() => Math.round(100 + 50 * rng.normal()));
  const vol = path.join(dir, 'vol.nii.gz');
  fs.writeFileSync(vol, encodeNiftiGz({ data, dims, spacing: [1, 1, 2], origin: [5, 6, 7], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] }));
  const out = path.join(dir, 'out3d');
  const r = (await explain.run({ positionals: [runDir, vol], values: { out, method: 'gradcam++', zoom: '4' } }, io)) as { files: string[]; dims: number[] };
  assert.deepEqual(r.dims, dims);
  assert.deepEqual(
    r.files.map((f) => path.basename(f)),
    ['vol.gradcam++.axial.png', 'vol.gradcam++.coronal.png', 'vol.gradcam++.sagittal.png', 'vol.gradcam++.nii.gz'],
  );
  const axial = readPng(r.files[0]!);
  assert.deepEqual([axial.width, axial.height], [48, 40]);
  const sagittal = readPng(r.files[2]!);
  assert.deepEqual([sagittal.width, sagittal.height], [40, 32]);
  const heat = await readImage(r.files[3]!);
  assert.deepEqual(heat.dims, dims);
  assert.deepEqual(Array.from(heat.spacing), [1, 1, 2]);
  assert.deepEqual(Array.from(heat.origin), [5, 6, 7]);
  // Linear resampling from the 8^3 model grid may miss the exact peak, never exceed [0, 1].
  assert.ok(heat.max <= 1 && heat.min >= 0 && heat.max > 0.5, `heat in [${heat.min}, ${heat.max}]`);
});

test('the CLI interprets the most active kernel when none is given', async () => {
  const runDir = path.join(dir, 'run2d');
  const image = path.join(dir, 'img', 'img-5-1.png');
  const out = path.join(dir, 'outk');
  const r = (await explain.run({ positionals: [runDir, image], values: { out, method: 'kernel', steps: '4' } }, io)) as { files: string[]; steps: number; kernel: number };
  assert.equal(r.steps, 4);
  assert.ok(lines.some((l) => l.startsWith(`interpreting kernel ${r.kernel}, the most active of last`)));
  assert.equal(readPng(r.files[0]!).width, 256);
});

test('the CLI refuses bad options with a usage error', async () => {
  const runDir = path.join(dir, 'run2d');
  const image = path.join(dir, 'img', 'img-5-1.png');
  await assert.rejects(explain.run({ positionals: [runDir, image], values: {} }, io), /--out DIR is required/);
  await assert.rejects(explain.run({ positionals: [runDir, image], values: { out: dir, method: 'lime' } }, io), /--method must be one of gradcam, gradcam\+\+, kernel/);
  await assert.rejects(explain.run({ positionals: [runDir, image], values: { out: dir, class: 'tumour' } }, io), /--class 'tumour' is not a class of this model \(clear, lesion\)/);
});
