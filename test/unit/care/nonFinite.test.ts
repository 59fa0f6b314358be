/** One NaN image in a training set: the run fails naming that file, not as a diverged loss. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../../server/src/engine/backend';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import { readRunInfo, runExperiment } from '../../../server/src/runs';
import { makeLesionFixture, writeExperiment } from './fixture';

test('a training set with one NaN (or infinite) image fails naming the file and the voxel, not "training diverged"', async () => {
  await ensureBackend({ backend: 'cpu' });
  const fx = makeLesionFixture();
  const rows = fs.readFileSync(fx.csv, 'utf8').trimEnd().split('\n');
  // The first training image becomes a float NIfTI with one NaN and one infinite value.
  const data = new Float32Array(16 * 16).fill(0.5);
  data[3 * 16 + 5] = NaN;
  data[200] = Infinity;
  fs.writeFileSync(path.join(fx.root, 'data', 'images', 'bad.nii'), encodeNifti({ data, dims: [16, 16], spacing: [1, 1, 1], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] }));
  rows[1] = rows[1]!.replace(/^[^,]+/, 'images/bad.nii');
  fs.writeFileSync(fx.csv, rows.join('\n') + '\n');
  const exp = writeExperiment(
    fx,
    'nan',
    `name: nan
method: care
data: { format: csv, path: data/labels.csv, rare: [rare], boxes: { source: manual, path: data/boxes.coco.json } }
model: { backbone: resnet, width: 4, depth: 1, inputSize: 16 }
train: { epochs: 2, batchSize: 32, lr: 0.01, seed: 3 }
care: { stage1Epochs: 1 }
`,
  );
  let runDir = '';
  await assert.rejects(
    runExperiment(exp, { onRunCreated: (i) => (runDir = i.runDir) }),
    (e: Error) => {
      assert.doesNotMatch(e.message, /diverged/);
      assert.match(e.message, /images[/\\]bad\.nii: holds 1 NaN and 1 infinite values \(the first at voxel x, y, z = \(5, 3, 0\)\)/);
      return true;
    },
  );
  assert.match((await readRunInfo(runDir)).error ?? '', /bad\.nii/);
});
