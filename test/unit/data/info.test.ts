import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeNiftiGz } from '../../../server/src/data/writers/nifti';
import { rampVolume, tempDir } from './fixtures';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../..');
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'server/src/cli/main.ts'), 'info', ...args], { encoding: 'utf8', cwd: root });

test('medstudio info prints the header, and --json ends with one JSON object', () => {
  const dir = tempDir('info');
  const file = path.join(dir, 'v.nii.gz');
  fs.writeFileSync(file, encodeNiftiGz({ data: rampVolume([4, 3, 2]), dims: [4, 3, 2], spacing: [0.5, 1, 2], origin: [1, 2, 3], direction: [-1, 0, 0, 0, -1, 0, 0, 0, 1] }));
  const text = cli(file);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /dimensions {2}4 x 3 x 2/);
  assert.match(text.stdout, /spacing {5}0\.5 x 1 x 2 mm/);
  assert.match(text.stdout, /direction {3}\[-1 0 0; 0 -1 0; 0 0 1\] \(RAS\)/);
  assert.match(text.stdout, /pixel type {2}int16, 1 component/);
  assert.match(text.stdout, /range {7}-50 \.\. 73/);
  const json = cli(file, '--json');
  const last = JSON.parse(json.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  assert.deepEqual(last.dims, [4, 3, 2]);
  assert.deepEqual(last.origin, [1, 2, 3]);
  assert.equal(last.orientation, 'RAS');
  assert.equal(last.min, -50);

  const bad = cli(path.join(dir, 'nothing.nii'), '--json');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /nothing\.nii: does not exist/);
  assert.match(JSON.parse(bad.stdout.trim().split('\n').pop()!).error as string, /does not exist/);
});
