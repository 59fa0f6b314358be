/**
 * The native addon cannot write outside the buffers it is given (server/native/src/safe_plan.h):
 * a buffer of the wrong size or a detached view is refused before anything runs, and an oneDNN
 * implementation that writes past its own scratchpad is caught by the probe and skipped.
 * Buffers here sit inside larger ones with a sentinel around them, so a write outside is seen
 * rather than corrupting the process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative, type NativeAddon } from '../../../server/src/engine/native/loadNative';

const native = loadNative();
const skip = native.addon ? false : `native addon not loaded: ${native.reason}`;
const addon = (): NativeAddon => native.addon!;
const SENTINEL = 12345.5;
const PAD = 1024;

/** n floats inside a larger buffer filled with a sentinel; `outside()` counts changed sentinels. */
function fenced(n: number, fill = 0.25): { v: Float32Array; outside: () => number } {
  const all = new Float32Array(n + 2 * PAD).fill(SENTINEL);
  const v = all.subarray(PAD, PAD + n).fill(fill);
  return { v, outside: () => all.reduce((c, x, i) => c + (i >= PAD && i < PAD + n ? 0 : x !== SENTINEL ? 1 : 0), 0) };
}

/** [nd, N, Cin, Cout, in, out, k, stride, padL, padR, dilation, act, groups] for a 2D convolution. */
const geometry2d = (n: number, h: number, ci: number, co: number, k: number, s: number, oh: number, pl: number, pr: number): Int32Array =>
  Int32Array.from([2, n, ci, co, h, h, oh, oh, k, k, s, s, pl, pl, pr, pr, 1, 1, 0, 1]);

test('a convolution output one element short is refused before anything is written', { skip }, () => {
  const g = geometry2d(2, 8, 3, 4, 3, 1, 8, 1, 1);
  const x = fenced(2 * 8 * 8 * 3);
  const w = fenced(3 * 3 * 3 * 4);
  const y = fenced(2 * 8 * 8 * 4 - 1);
  assert.throws(() => addon().conv(0, g, x.v, w.v, y.v, null), (e: Error & { code?: string }) => e.code === 'MEDSTUDIO_NATIVE' && /bytes/.test(e.message));
  assert.equal(y.outside(), 0);
  assert.ok(y.v.every((v) => v === 0.25), 'nothing was written');
});

test('element-wise kernels check every operand length', { skip }, () => {
  const n = 4096;
  const a = fenced(n);
  const b = fenced(n - 1);
  const out = fenced(n);
  assert.throws(() => addon().binary(0, 0, 16, a.v, b.v, out.v), /b holds 4095 elements/);
  assert.throws(() => addon().binary(0, 1, 16, a.v, fenced(15).v, out.v), /one row/);
  assert.throws(() => addon().reduceSum(a.v, fenced(10).v, 1, n, 1, 1), /reduceSum out/);
  assert.throws(() => addon().unary(0, fenced(n + 1).v, out.v, 0), /unary x/);
  assert.throws(() => addon().channelAffine(a.v, null, out.v, fenced(16).v, null, fenced(15).v), /channelAffine r/);
  assert.throws(() => addon().select(new Uint8Array(n - 1), a.v, a.v, out.v), /select cond/);
  assert.equal(out.outside(), 0);
  assert.ok(out.v.every((v) => v === 0.25), 'nothing was written');
});

test('a view of a detached buffer (a wasm heap that grew) is refused', { skip }, () => {
  const buf = new ArrayBuffer(64 * 4);
  const stale = new Float32Array(buf);
  structuredClone(buf, { transfer: [buf] }); // detaches buf, as Memory.grow does to the old heap
  assert.throws(() => addon().unary(1, stale, new Float32Array(64), 0), /detached|empty/);
});

test('matrix products and pooling run on exact-size buffers and write nothing outside them', { skip }, () => {
  const [m, k, n] = [7, 13, 5];
  const a = fenced(m * k, 0.5);
  const b = fenced(k * n, 0.5);
  const c = fenced(m * n);
  addon().matmul(Int32Array.from([1, 1, m, k, n, 0, 0, 0, 0]), a.v, b.v, c.v, null);
  assert.equal(c.outside() + a.outside() + b.outside(), 0);
  assert.ok(Math.abs(c.v[0]! - k * 0.25) < 1e-5);
  assert.throws(() => addon().matmul(Int32Array.from([1, 1, m, k, n, 0, 0, 0, 0]), a.v, b.v, fenced(m * n + 1).v, null), /bytes/);
  const x = fenced(1 * 9 * 9 * 3, 1);
  const y = fenced(1 * 5 * 5 * 3);
  const dy = fenced(1 * 5 * 5 * 3, 1);
  const dx = fenced(1 * 9 * 9 * 3);
  addon().maxPool(geometry2d(1, 9, 3, 3, 2, 2, 5, 0, 1), x.v, y.v, dy.v, dx.v);
  assert.equal(x.outside() + y.outside() + dy.outside() + dx.outside(), 0);
});

test('an oneDNN implementation that writes past its scratchpad is skipped, and the result is right', { skip }, () => {
  // Issue 17: mb32 64x64 8->16 1x1 stride 2, backward-weights. On AVX-512, oneDNN 2.6's
  // jit_1x1 writes ~16 KB past its scratchpad here; elsewhere it may be clean.
  const g = geometry2d(32, 64, 8, 16, 1, 2, 32, 0, 0);
  const x = fenced(32 * 64 * 64 * 8, 1);
  const dy = fenced(32 * 32 * 32 * 16, 1);
  const dw = fenced(8 * 16);
  addon().conv(2, g, x.v, dw.v, dy.v, null);
  assert.equal(x.outside() + dy.outside() + dw.outside(), 0);
  // Every weight gradient is the sum of x * dy over the 32 * 32 * 32 strided positions.
  assert.ok(dw.v.every((v) => v === 32 * 32 * 32), `dw = ${dw.v.slice(0, 4).join(', ')}...`);
  const rejected = addon().rejections().filter((r) => r.includes('mb32_ic8oc16'));
  if (/avx512/.test(addon().info())) {
    assert.ok(rejected.some((r) => /jit_1x1.*scratchpad/.test(r)), `the probe caught jit_1x1 here: ${JSON.stringify(addon().rejections())}`);
  }
});
