/**
 * segment2d through the CLI as a user runs it: `medstudio train` ends with the test Dice and HD95,
 * `medstudio eval` scores the saved model again, `medstudio explain` writes the image's mask at
 * its own size and the foreground probability overlay (and refuses classifier-only options).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { writeExperiment } from '../care/fixture';
import { makeSegFixture, type SegFixture } from './fixture';

const root = path.resolve(__dirname, '..', '..', '..');
const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', path.join(root, 'server/src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: root });
const last = (out: string) => JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;

let fx: SegFixture;
before(() => {
  fx = makeSegFixture();
});
after(() => fs.rmSync(fx.root, { recursive: true, force: true }));

test('medstudio train, eval and explain work on a segment2d experiment', () => {
  const exp = writeExperiment(fx, 'seg', 'method: segment2d\ndata: { format: images, path: data/images, labels: data/masks }\nmodel: { inputSize: 32 }\nunet: { features: 8, maxFeatures: 32 }\ntrain: { epochs: 6, batchSize: 4, lr: 0.003, seed: 2 }\n');
  const t = cli('train', exp, '--out', path.join(fx.root, 'runs'), '--json');
  assert.equal(t.status, 0, t.stderr);
  const summary = last(t.stdout) as { runDir: string; extra: Record<string, number> };
  assert.ok(summary.extra.meanDice! > 0.5, `test Dice ${summary.extra.meanDice}`);
  assert.ok(Number.isFinite(summary.extra.meanHD95));

  const text = cli('eval', summary.runDir, exp);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`test \\(seg.medstudio.yaml\\): Dice ${summary.extra.meanDice!.toFixed(3)}, HD95 `));

  const image = path.join(fx.root, 'data', 'images', 'img-001.png');
  const out = path.join(fx.root, 'explained');
  const x = cli('explain', summary.runDir, image, '--out', out, '--json');
  assert.equal(x.status, 0, x.stderr);
  const r = last(x.stdout) as { files: string[]; pixels: Record<string, number>; dims: number[] };
  assert.deepEqual(r.dims, [32, 32]);
  assert.deepEqual(r.files.map((f) => path.basename(f)), ['img-001.mask.png', 'img-001.probability.png']);
  const mask = PNG.sync.read(fs.readFileSync(r.files[0]!));
  assert.equal(mask.width, 32);
  let on = 0;
  for (let p = 0; p < 32 * 32; p++) on += mask.data[p * 4]! === 255 ? 1 : 0;
  assert.equal(on, r.pixels.foreground);
  assert.ok(on > 10, `the lesion is in the mask (${on} px)`);

  const refused = cli('explain', summary.runDir, image, '--out', out, '--method', 'kernel');
  assert.equal(refused.status, 2);
  assert.match(refused.stderr, /a segment2d run writes its mask and foreground probability/);
});
