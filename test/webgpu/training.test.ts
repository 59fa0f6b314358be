/**
 * Training on the webgpu backend (Dawn over SwiftShader, on the CPU) as on wasm: CARE with its
 * attention stage, GL-MAE, MoCo and DisCo, and 3D segmentation (U-Net and the UNETR-style ViT)
 * take their first steps from the same seed and weights with the same losses on both backends,
 * through the runner the CLI and the server use (every read on that path is asynchronous: a
 * synchronous one throws on webgpu in Node), and leave no tensor behind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { softwareGpuEnv } from '../../server/src/engine/softwareGpu';
import { encodeNifti } from '../../server/src/data/writers/nifti';
import { makeLesionFixture } from '../unit/care/fixture';
import { syntheticVolume } from '../unit/glmae/synthetic';
import { writeTinyVolumes } from '../unit/segment/tinyVolumes';
import type { StepsRequest, StepsResult } from './helpers/trainSteps';

let dir = '';

before(() => {
  const fx = makeLesionFixture();
  dir = fx.root;
  writeTinyVolumes(dir);
  fs.mkdirSync(path.join(dir, 'glmae'));
  const geometry = { spacing: [1, 1, 1] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
  for (let i = 1; i <= 4; i++) {
    const v = syntheticVolume(i, 16);
    fs.writeFileSync(path.join(dir, 'glmae', `g${i}.nii`), encodeNifti({ data: Int16Array.from(v.data, (x) => Math.round(x * 1000)), dims: [16, 16, 16], ...geometry }));
  }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const lesions = 'data: { format: csv, path: data/labels.csv, rare: [rare], boxes: { source: manual, path: data/boxes.coco.json } }';
const contrastive = 'data: { format: csv, path: data/labels.csv }\ndisco: { queueSize: 16 }';
const ALL_EXPERIMENTS: StepsRequest['experiments'] = [
  // Stage 1 one epoch, then stage 2 with the attention loss on the rare class's boxes.
  { name: 'care', yaml: `method: care\n${lesions}\nmodel: { backbone: resnet, width: 4, depth: 1, inputSize: 16 }\ntrain: { epochs: 2, batchSize: 8, lr: 0.01, seed: 3, balance: sampler }\ncare: { stage1Epochs: 1 }\n` },
  { name: 'moco', yaml: `method: moco\n${contrastive}\nmodel: { backbone: resnet, width: 4, depth: 1, inputSize: 16, projectionDim: 8 }\ntrain: { epochs: 1, batchSize: 8, lr: 0.01, seed: 3 }\n` },
  { name: 'disco', yaml: `method: disco\nteacher: {{run:moco}}\n${contrastive}\nmodel: { width: 4, depth: 1, inputSize: 16, projectionDim: 8, hidden: 16 }\ntrain: { epochs: 1, batchSize: 8, lr: 0.01, seed: 3 }\n` },
  {
    name: 'glmae',
    yaml: `method: glmae\ndata: { format: volumes, path: glmae, valFraction: 0.25, testFraction: 0.25 }\nmodel: { backbone: vit3d, inputSize: 16, patchSize: 4, embedDim: 16, depth: 1, heads: 2, decoderWidth: 8, decoderDepth: 1, projectionDim: 8 }\nglmae: { localViews: 2, localSize: 8, volumeSize: 16 }\ntrain: { epochs: 1, batchSize: 1, lr: 0.002, seed: 3 }\n`,
  },
  {
    name: 'unet',
    yaml: `method: segment\ndata: { format: volumes, path: volumes, labels: labels, classes: [background, front, back], split: split.csv }\nmodel: { backbone: unet }\nunet: { features: 4, maxFeatures: 8, stepsPerEpoch: 2, batchSize: 2, mirror: false }\ntrain: { epochs: 1, seed: 2 }\n`,
  },
  {
    name: 'vit-segment',
    yaml: `method: segment\ndata: { format: volumes, path: volumes, labels: labels, classes: [background, front, back], split: split.csv }\nmodel: { backbone: vit3d, inputSize: 16, patchSize: 4, embedDim: 16, depth: 1, heads: 2, decoderWidth: 8 }\ntrain: { epochs: 1, batchSize: 2, lr: 0.002, seed: 2 }\n`,
  },
];

/** MEDSTUDIO_WEBGPU_ONLY=unet,glmae runs those alone (while working on one method). */
const only = process.env.MEDSTUDIO_WEBGPU_ONLY?.split(',');
const EXPERIMENTS = ALL_EXPERIMENTS.filter((e) => !only || only.includes(e.name));

function trainOn(backend: 'wasm' | 'webgpu', env: NodeJS.ProcessEnv): { results: Map<string, StepsResult>; backendLine: string; stderr: string; status: number | null } {
  const outDir = path.join(dir, backend);
  fs.mkdirSync(outDir, { recursive: true });
  const req: StepsRequest = { backend, dataDir: dir, outDir, experiments: EXPERIMENTS };
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'helpers', 'trainSteps.ts'), JSON.stringify(req)], {
    encoding: 'utf8',
    env,
    timeout: 900_000,
    maxBuffer: 1 << 26,
  });
  const results = new Map<string, StepsResult>();
  let backendLine = '';
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('RESULT ')) {
      const res = JSON.parse(line.slice(7)) as StepsResult;
      results.set(res.name, res);
    }
    if (line.startsWith('BACKEND ')) backendLine = line.slice(8);
  }
  return { results, backendLine, stderr: r.stderr, status: r.status };
}

/** Relative difference, with an absolute floor for losses near zero. */
const relDiff = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-3);

let wasm: ReturnType<typeof trainOn> | undefined;
let gpu: ReturnType<typeof trainOn> | undefined;

test('every method trains on the webgpu backend (SwiftShader) without error or leaked tensors', (t) => {
  const sw = softwareGpuEnv();
  assert.ok(!('reason' in sw), 'reason' in sw ? sw.reason : '');
  gpu = trainOn('webgpu', sw.env);
  assert.match(gpu.backendLine, /"backend":"webgpu"/, `webgpu did not start: ${gpu.backendLine} ${gpu.stderr.slice(-500)}`);
  assert.match(gpu.backendLine, /swiftshader/i);
  for (const e of EXPERIMENTS) {
    const r = gpu.results.get(e.name);
    assert.ok(r, `${e.name} reported nothing (exit ${gpu.status}): ${gpu.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    assert.equal(r.error, undefined, `${e.name} on webgpu: ${r.error}`);
    assert.equal(r.backend, 'webgpu');
    assert.ok(r.losses.length >= 2 && r.losses.every(Number.isFinite), `${e.name}: losses ${r.losses.join(', ')}`);
    assert.equal(r.tensorsAfter, r.tensorsBefore, `${e.name} left ${r.tensorsAfter - r.tensorsBefore} tensors behind`);
    t.diagnostic(`${e.name}: ${r.losses.length} steps on webgpu in ${r.seconds.toFixed(1)} s`);
  }
});

test('from the same seed and weights, the losses on webgpu match those on wasm', (t) => {
  assert.ok(gpu, 'the webgpu run above did not complete');
  wasm = trainOn('wasm', process.env);
  assert.match(wasm.backendLine, /"backend":"wasm"/);
  for (const e of EXPERIMENTS) {
    const a: StepsResult | undefined = gpu.results.get(e.name);
    const b: StepsResult | undefined = wasm.results.get(e.name);
    assert.ok(a && b && !b.error, `${e.name}: ${b?.error ?? 'no result on wasm'}`);
    assert.equal(b.tensorsAfter, b.tensorsBefore, `${e.name} left ${b.tensorsAfter - b.tensorsBefore} tensors behind on wasm`);
    assert.equal(a.losses.length, b.losses.length, `${e.name}: step counts differ`);
    // The first step sees identical weights and data: only float32 summation order differs.
    // Later steps carry that difference through the updates; DisCo's teacher is each backend's own MoCo run.
    const first = relDiff(a.losses[0]!, b.losses[0]!);
    const worst = Math.max(...a.losses.map((l, i) => relDiff(l, b.losses[i]!)));
    t.diagnostic(`${e.name}: first-step loss ${a.losses[0]!.toFixed(6)} (webgpu) vs ${b.losses[0]!.toFixed(6)} (wasm), worst relative difference over ${a.losses.length} steps ${worst.toExponential(2)}`);
    assert.ok(first <= 1e-3, `${e.name}: first-step loss differs by ${first.toExponential(2)}`);
    assert.ok(worst <= 2e-2, `${e.name}: losses drift apart by ${worst.toExponential(2)}: ${a.losses.join(', ')} vs ${b.losses.join(', ')}`);
  }
});

test('Grad-CAM explains an image on webgpu as on wasm; kernel interpretation refuses webgpu plainly', () => {
  const care = gpu?.results.get('care');
  assert.ok(care?.runDir, 'the CARE run above did not finish');
  const image = path.join(dir, 'data', 'images', 'img-001.png');
  const cli = path.resolve(__dirname, '..', '..', 'bin', 'medstudio.js');
  const explain = (extra: string[]) => spawnSync(process.execPath, [cli, 'explain', care.runDir!, image, '--out', path.join(dir, 'explain'), '--json', ...extra], { encoding: 'utf8', timeout: 300_000 });
  const onGpu = explain(['--software-gpu']);
  const onWasm = explain(['--backend', 'wasm']);
  const last = (r: ReturnType<typeof explain>) => JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { classIndex?: number; probabilities?: number[]; error?: string };
  const g = last(onGpu);
  const w = last(onWasm);
  assert.equal(g.error, undefined, onGpu.stderr.slice(-300));
  assert.equal(g.classIndex, w.classIndex);
  g.probabilities!.forEach((p, i) => assert.ok(Math.abs(p - w.probabilities![i]!) < 1e-5, `class ${i}: ${p} on webgpu, ${w.probabilities![i]} on wasm`));
  const kernel = explain(['--software-gpu', '--method', 'kernel']);
  assert.notEqual(kernel.status, 0);
  assert.match(last(kernel).error ?? '', /does not run on the webgpu backend yet/);
});
