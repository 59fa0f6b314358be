/**
 * Training smoke tests (issue 17): every network — ResNet, MobileNet, a 3D CNN, the 3D ViT and
 * UNETR, at small widths — takes two Adam steps across input sizes 28-128 (3D: 16-48) and batches
 * 1, 7 and 32 (UNETR at 32: 1 and 7), with the native kernels on and off, each in its own
 * process; a process that dies names the case it died in. The two agree on the losses of the cases both ran.
 * MEDSTUDIO_SMOKE_FULL=1 runs the whole matrix with the native kernels off too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { loadNative } from '../../../server/src/engine/native/loadNative';
import type { SmokeCase, SmokeResult } from './helpers/smokeNets';

const SIZES_2D = [28, 32, 48, 64, 96, 128];
const BATCHES = [1, 7, 32];

function matrix(): SmokeCase[] {
  const cases: SmokeCase[] = [];
  for (const net of ['resnet', 'mobilenet'] as const) for (const inputSize of SIZES_2D) for (const batch of BATCHES) cases.push({ net, inputSize, batch });
  // 3D inputs grow with the cube of the size: 64^3 and up would take minutes on the cpu, and
  // UNETR at 32^3 x 32 alone takes ~14 s on a busy 2-core machine.
  for (const inputSize of [28, 32, 48]) for (const batch of BATCHES) cases.push({ net: 'cnn3d', inputSize, batch });
  for (const inputSize of [16, 28, 32]) for (const batch of BATCHES) cases.push({ net: 'vit3d', inputSize, batch });
  for (const inputSize of [16, 32]) for (const batch of inputSize === 32 ? [1, 7] : BATCHES) cases.push({ net: 'unetr', inputSize, batch });
  return cases;
}

/** Without the native kernels: the smallest and largest size of each network at batch 1 and 32, and batch 7 in between. */
function corners(all: SmokeCase[]): SmokeCase[] {
  return all.filter((c) => {
    const sizes = all.filter((d) => d.net === c.net).map((d) => d.inputSize);
    const [lo, hi] = [Math.min(...sizes), Math.max(...sizes)];
    return (c.inputSize === lo && c.batch !== 7) || (c.inputSize === hi && c.batch === 1) || (c.batch === 7 && c.inputSize === sizes[Math.floor(sizes.length / 2)]);
  });
}

const key = (c: SmokeCase): string => `${c.net} ${c.inputSize} x${c.batch}`;

function runChild(cases: SmokeCase[], native: boolean): { results: Map<string, SmokeResult>; failures: string[] } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'helpers', 'smokeNets.ts'), JSON.stringify(cases)], {
    encoding: 'utf8',
    timeout: 600_000,
    maxBuffer: 1 << 24,
    env: native ? process.env : { ...process.env, MEDSTUDIO_NATIVE: '0' },
  });
  const results = new Map<string, SmokeResult>();
  let started: string | undefined;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('START ')) started = key(JSON.parse(line.slice(6)) as SmokeCase);
    if (line.startsWith('RESULT ')) {
      const res = JSON.parse(line.slice(7)) as SmokeResult;
      results.set(key(res), res);
      started = undefined;
    }
  }
  const failures: string[] = [];
  if (r.status !== 0) failures.push(`the process ended with ${r.signal ?? `exit ${r.status}`}${started ? ` in ${started}` : ''}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  for (const c of cases) {
    const res = results.get(key(c));
    if (!res) continue;
    if (res.error) failures.push(`${key(c)}: ${res.error}`);
    else if (res.losses.length !== 2 || !res.losses.every(Number.isFinite)) failures.push(`${key(c)}: losses ${res.losses.join(', ')}`);
  }
  if (r.status === 0 && results.size !== cases.length) failures.push(`${cases.length - results.size} cases reported nothing`);
  return { results, failures };
}

const all = matrix();
const native = loadNative();
let withNative: Map<string, SmokeResult> | undefined;
let withoutNative: Map<string, SmokeResult> | undefined;

test(`${all.length} networks/sizes/batches train two steps with the native kernels on`, (t) => {
  if (!native.addon) t.diagnostic(`native addon not loaded (${native.reason}): this runs the wasm kernels`);
  const { results, failures } = runChild(all, true);
  withNative = results;
  assert.deepEqual(failures, []);
});

test('and with the native kernels off (MEDSTUDIO_NATIVE=0)', () => {
  const cases = process.env.MEDSTUDIO_SMOKE_FULL === '1' ? all : corners(all);
  const { results, failures } = runChild(cases, false);
  withoutNative = results;
  assert.deepEqual(failures, []);
});

test('both give the same losses (same seeds, same data)', (t) => {
  if (!withNative || !withoutNative) return t.skip('a run above failed');
  const off: string[] = [];
  for (const [k, b] of withoutNative) {
    const a = withNative.get(k);
    if (!a) continue;
    // Step 1 is the forward pass at the initial weights; step 2 follows one Adam update
    // (~lr * sign(gradient)), so float-level gradient differences move it a little more.
    a.losses.forEach((la, i) => {
      const lb = b.losses[i]!;
      if (Math.abs(la - lb) > (i === 0 ? 1e-3 : 1e-2) * Math.max(1, Math.abs(lb))) off.push(`${k} step ${i + 1}: native ${la} vs wasm ${lb}`);
    });
  }
  assert.deepEqual(off, []);
});
