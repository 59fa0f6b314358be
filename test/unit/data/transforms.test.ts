import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySpatialTransform, augment, jitterIntensity, randomSpatialTransform } from '../../../server/src/transforms/augment';
import { resizeLinear, resizeNearest } from '../../../server/src/transforms/resample';
import { createRng, deriveSeed } from '../../../server/src/transforms/rng';
import type { Volume } from '../../../server/src/transforms/volume';

const vol = (shape: [number, number, number], channels: number, f: (z: number, y: number, x: number, c: number) => number): Volume => {
  const data = new Float32Array(shape[0] * shape[1] * shape[2] * channels);
  for (let z = 0; z < shape[0]; z++) for (let y = 0; y < shape[1]; y++) for (let x = 0; x < shape[2]; x++) for (let c = 0; c < channels; c++) data[((z * shape[1] + y) * shape[2] + x) * channels + c] = f(z, y, x, c);
  return { data, shape, channels };
};

test('rng: golden first values, forks and derived seeds are reproducible and distinct', () => {
  const a = createRng(42);
  const first = [a.next(), a.next(), a.next()];
  const b = createRng(42);
  assert.deepEqual([b.next(), b.next(), b.next()], first);
  assert.notDeepEqual([createRng(43).next()], [first[0]]);
  assert.ok(first.every((v) => v >= 0 && v < 1));
  assert.equal(deriveSeed(1, 2), deriveSeed(1, 2));
  assert.notEqual(deriveSeed(1, 2), deriveSeed(2, 1));
  const counts = [0, 0, 0, 0];
  const r = createRng(7);
  for (let i = 0; i < 4000; i++) counts[r.int(4)]!++;
  assert.ok(counts.every((n) => n > 900 && n < 1100), `uniform int: ${counts.join(', ')}`);
});

test('resizeLinear: golden 2x downsample averages pairs (antialiased); constant stays constant', () => {
  const v = vol([1, 1, 4], 1, (_z, _y, x) => [0, 2, 4, 6][x]!);
  const down = resizeLinear(v, [1, 1, 2]);
  // Triangle filter of half-width 2 centred at 0.5: taps -1 (clamped to 0), 0, 1, 2 with weights
  // 1/8, 3/8, 3/8, 1/8 -> 0.375 * 2 + 0.125 * 4 = 1.25; mirrored for the other pixel.
  assert.deepEqual(Array.from(down.data).map((x) => +x.toFixed(4)), [1.25, 4.75]);
  const rgb = vol([2, 3, 5], 3, (_z, _y, _x, c) => c + 0.5);
  const up = resizeLinear(rgb, [4, 7, 9]);
  assert.deepEqual([...new Set(Array.from(up.data).map((x) => +x.toFixed(5)))].sort(), [0.5, 1.5, 2.5]);
  assert.equal(up.data.length, 4 * 7 * 9 * 3);
});

test('resizeNearest keeps label values and picks the covering voxel', () => {
  const labels = vol([1, 2, 2], 1, (_z, y, x) => y * 2 + x);
  const up = resizeNearest(labels, [1, 4, 4]);
  assert.deepEqual(Array.from(up.data), [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3]);
});

test('applySpatialTransform: golden x flip and 90-degree in-plane turn', () => {
  const img = vol([1, 2, 3], 1, (_z, y, x) => y * 3 + x);
  const flipX = applySpatialTransform(img, { matrix: [1, 0, 0, 0, 1, 0, 0, 0, -1], offset: [0, 0, 0] }, 'linear');
  assert.deepEqual(Array.from(flipX.data), [2, 1, 0, 5, 4, 3]);
  const sq = vol([1, 3, 3], 1, (_z, y, x) => y * 3 + x);
  // Output (y, x) samples the input at (y', x') = (-x, y) around the centre: a quarter turn.
  const turned = applySpatialTransform(sq, { matrix: [1, 0, 0, 0, 0, -1, 0, 1, 0], offset: [0, 0, 0] }, 'nearest');
  assert.deepEqual(Array.from(turned.data), [6, 3, 0, 7, 4, 1, 8, 5, 2]);
});

test('augment: same seed, same output; no-op options give the input back; the mask moves with the image', () => {
  const img = vol([1, 16, 16], 3, (_z, y, x, c) => ((x >= 4 && x < 8 && y >= 6 && y < 12 ? 0.9 : 0.1) + c * 0.01));
  const mask = vol([1, 16, 16], 1, (_z, y, x) => (x >= 4 && x < 8 && y >= 6 && y < 12 ? 1 : 0));
  const a = augment(img, createRng(5), 2, {}, mask);
  const b = augment(img, createRng(5), 2, {}, mask);
  assert.deepEqual(Array.from(a.image.data), Array.from(b.image.data));
  assert.notDeepEqual(Array.from(augment(img, createRng(6), 2).image.data), Array.from(a.image.data));
  const same = augment(img, createRng(5), 2, { flip: [], shift: 0, rotate: 0, scale: [1, 1], brightness: 0, contrast: 0, colour: 0 });
  Array.from(same.image.data).forEach((v, i) => assert.ok(Math.abs(v - img.data[i]!) < 1e-6));
  // Where the transformed mask is 1, the transformed image is bright (the lesion), and vice versa mostly.
  let agree = 0;
  let total = 0;
  for (let p = 0; p < 256; p++) {
    if (a.mask!.data[p]! > 0.5) {
      total++;
      if (a.image.data[p * 3]! > 0.4) agree++;
    }
  }
  assert.ok(total > 10 && agree / total > 0.85, `mask and image agree on ${agree}/${total} pixels`);
});

test('3D transforms rotate about all axes; 2D never moves along z', () => {
  const t3 = randomSpatialTransform(createRng(1), 3, [8, 8, 8], { rotate: 30, flip: [] });
  assert.ok(Math.abs(t3.matrix[1]!) + Math.abs(t3.matrix[2]!) > 0.01, 'z row mixes y and x in 3D');
  const t2 = randomSpatialTransform(createRng(1), 2, [1, 8, 8], { rotate: 30, flip: ['x', 'y', 'z'] });
  assert.deepEqual([t2.matrix[0], t2.matrix[1], t2.matrix[2], t2.offset[0]], [1, 0, 0, 0]);
});

test('intensity jitter stays in [0, 1] and changes values', () => {
  const v = vol([1, 4, 4], 3, (_z, y, x) => (y * 4 + x) / 15);
  const before = Array.from(v.data);
  jitterIntensity(v, createRng(3), { brightness: 0.5, contrast: 0.5, noise: 0.1 });
  assert.ok(Array.from(v.data).every((x) => x >= 0 && x <= 1));
  assert.notDeepEqual(Array.from(v.data), before);
});

test('the U-Net\'s training augmentation keeps z-scored intensities: nothing is clamped to [0, 1]', async () => {
  const { UNET_AUGMENT } = await import('../../../server/src/methods/segment/unetTrain');
  const shape: [number, number, number] = [8, 8, 8];
  // A z-scored volume: smooth, mean about 0, sd about 1, half of it below 0 and some above 1.
  const data = Float32Array.from({ length: 512 }, (_, i) => 1.5 * Math.sin((i % 8) * 0.5 + (Math.floor(i / 8) % 8) * 0.3 + Math.floor(i / 64) * 0.2));
  for (let seed = 1; seed <= 5; seed++) {
    const r = augment({ data, shape, channels: 1 }, createRng(seed), 3, UNET_AUGMENT);
    const v = Array.from(r.image.data);
    const below = v.filter((x) => x < -0.5).length;
    const above = v.filter((x) => x > 1.1).length;
    assert.ok(below > 50 && above > 30, `seed ${seed}: ${below} voxels below -0.5 and ${above} above 1.1 (of 512)`);
  }
});
