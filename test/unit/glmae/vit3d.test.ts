import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from '../../../server/src/engine/backend';
import { patchify, unpatchify } from '../../../server/src/networks/vit3dPatches';
import { interpolatePosEmbed, linearInterpMatrix } from '../../../server/src/networks/vit3dPosEmbed';
import { ParamStore } from '../../../server/src/networks/vit3dParams';
import { Vit3dEncoder } from '../../../server/src/networks/vit3d';
import { validateVit3dConfig } from '../../../server/src/networks/vit3dConfig';

test('patchify then unpatchify gives back the same volume, voxel for voxel', async () => {
  await ensureBackend({ threads: 1 });
  const x = tf.randomNormal([2, 8, 12, 16, 2], 0, 1, 'float32', 3) as tf.Tensor5D;
  const p = patchify(x, 4);
  assert.deepEqual(p.shape, [2, 2 * 3 * 4, 4 * 4 * 4 * 2]);
  const back = unpatchify(p, 4, [2, 3, 4], 2);
  assert.deepEqual(Array.from(back.dataSync()), Array.from(x.dataSync()));
  tf.dispose([x, p, back]);
});

test('a patch holds exactly the voxels of its cube, in (z, y, x, channel) order', async () => {
  await ensureBackend({ threads: 1 });
  // voxel value = its flat index, so the patch content is predictable
  const x = tf.reshape(tf.range(0, 4 * 4 * 4), [1, 4, 4, 4, 1]) as tf.Tensor5D;
  const p = patchify(x, 2);
  const rows = p.arraySync()[0]!;
  // patch 1 is (d=0, h=0, w=1): voxels z in 0..1, y in 0..1, x in 2..3
  assert.deepEqual(rows[1], [2, 3, 6, 7, 18, 19, 22, 23]);
  tf.dispose([x, p]);
});

test('patchify names the side that is not a multiple of the patch size', async () => {
  await ensureBackend({ threads: 1 });
  const x = tf.zeros([1, 8, 10, 8, 1]) as tf.Tensor5D;
  assert.throws(() => patchify(x, 4), /height 10 is not a multiple of the patch size 4/);
  x.dispose();
});

test('position embeddings interpolate trilinearly: same grid unchanged, linear ramps stay linear', async () => {
  await ensureBackend({ threads: 1 });
  const m = linearInterpMatrix(2, 4);
  // half-pixel centres: outputs at 0, 0.25, 0.75, 1 between the two source values
  assert.deepEqual(Array.from(m), [1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1]);
  // a position table whose value is z + 10 y + 100 x on a 4^3 grid, resampled to 2^3
  const g = 4;
  const vals: number[] = [];
  for (let z = 0; z < g; z++) for (let y = 0; y < g; y++) for (let x = 0; x < g; x++) vals.push(z + 10 * y + 100 * x);
  const pos = tf.tensor2d(vals, [g ** 3, 1]);
  const same = interpolatePosEmbed(pos, [4, 4, 4], [4, 4, 4]);
  assert.deepEqual(Array.from(same.dataSync()), vals);
  const small = interpolatePosEmbed(pos, [4, 4, 4], [2, 2, 2]);
  // output centre i maps to source coordinate (i + 0.5) * 2 - 0.5 = 0.5 or 2.5
  const want: number[] = [];
  for (const z of [0.5, 2.5]) for (const y of [0.5, 2.5]) for (const x of [0.5, 2.5]) want.push(z + 10 * y + 100 * x);
  Array.from(small.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-4, `${v} vs ${want[i]}`));
  tf.dispose([pos, same, small]);
});

test('the encoder takes other input sizes (interpolated positions) and only the visible tokens', async () => {
  await ensureBackend({ threads: 1 });
  const cfg = { inputSize: 16, patchSize: 4, channels: 1, embedDim: 16, depth: 2, heads: 2, mlpRatio: 2 };
  const ps = new ParamStore(1);
  const enc = new Vit3dEncoder(cfg, ps);
  const before = tf.memory().numTensors;
  const x = tf.randomNormal([2, 8, 8, 8, 1]) as tf.Tensor5D;
  const keep1 = tf.tensor3d([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], [1, 2, 8]);
  const keep = tf.tile(keep1, [2, 1, 1]) as tf.Tensor3D;
  const r = enc.encode(x, { keep, hiddenAt: [1, 0] });
  assert.deepEqual(r.tokens.shape, [2, 2, 16]);
  assert.deepEqual(r.grid, [2, 2, 2]);
  assert.equal(r.hidden.length, 2);
  tf.dispose([x, keep, keep1, r.tokens, ...r.hidden]);
  assert.equal(tf.memory().numTensors, before, 'encode leaked tensors');
  ps.dispose();
});

test('bad ViT shapes are rejected with the reason', () => {
  assert.throws(() => validateVit3dConfig({ inputSize: 30, patchSize: 8, channels: 1, embedDim: 96, depth: 4, heads: 5, mlpRatio: 4 }), /inputSize 30 is not a multiple of patchSize 8.*embedDim 96 is not divisible by heads 5/);
});
