/**
 * The .vsix as users get it (`npm run package`): unpacked into a fresh folder with no
 * node_modules above it, its CLI (the same engine, bundles and node_modules as the server and the
 * job worker) picks a backend, reads NRRD, MetaImage and a DICOM series through itk-wasm, trains a
 * tiny experiment and explains an image. Any module the bundles load that the package left out
 * fails here. The VS Code host layer (test/vscode) installs the same .vsix into code-server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { packagedVsix, unpackVsix, vsixFiles, ROOT } from '../vscode/vsix';
import { rampVolume, writeDicomSlice, writeMetaImage, writeNrrd, type Geometry3 } from '../unit/data/fixtures';

const ADDON = 'server/native/build/Release/medstudio_native.node';
const host = `${process.platform}-${process.arch}`;

function cli(ext: string, args: string[], cwd: string): { status: number | null; out: string; json?: Record<string, unknown> } {
  // A clean environment: no NODE_PATH or tsx loader from the test runner reaches the CLI.
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), TMPDIR: os.tmpdir() };
  const r = spawnSync(process.execPath, [path.join(ext, 'bin', 'medstudio.js'), ...args], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  const out = `${r.stdout}\n${r.stderr}`;
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(last) as Record<string, unknown>;
  } catch {
    /* not JSON: the assertion below shows the output */
  }
  return { status: r.status, out, json };
}

test('the .vsix holds the bundles, the wasm binaries and this platform only, and no sources', () => {
  const vsix = packagedVsix();
  const files = vsixFiles(vsix);
  const has = (re: RegExp) => files.some((f) => re.test(f));
  for (const f of ['dist/extension.js', 'dist/server.js', 'dist/jobWorker.js', 'dist/cli.js', 'dist/webviews/status.js', 'bin/medstudio.js', 'server/schemas/medstudio-experiment.schema.json']) {
    assert.ok(files.includes(f), `${f} is packaged`);
  }
  assert.ok(has(/^node_modules\/@tensorflow\/tfjs-backend-wasm\/dist\/tfjs-backend-wasm-simd\.wasm$/), 'the wasm backend binary is packaged');
  assert.ok(has(/^node_modules\/@itk-wasm\/image-io\/dist\/pipelines\/nifti-read-image\.wasm\.zst$/), 'itk-wasm image pipelines are packaged');
  assert.ok(has(/^samples\/skin-lesions\/labels\.csv$/), 'the samples (for templates and the walkthrough) are packaged');
  assert.ok(!has(/^(extension|server|webviews)\/src\//), 'no TypeScript sources');
  assert.ok(!has(/^test\//), 'no tests');
  assert.ok(!has(/^node_modules\/@tensorflow\/tfjs-backend-webgl\//), 'no WebGL backend (the server never loads it)');
  // Dawn: this platform's binary only.
  const dawn = files.filter((f) => f.startsWith('node_modules/webgpu/dist/')).map((f) => f.split('/')[3]);
  assert.deepEqual([...new Set(dawn)], [host.startsWith('darwin-') ? 'darwin-universal' : host], 'Dawn for this platform only');
  // The native addon: packaged when it was built here, with nothing of its sources or build.
  const built = fs.existsSync(path.join(ROOT, ADDON));
  assert.equal(files.includes(ADDON), built, built ? 'the built native addon is packaged' : 'no addon was built, none is packaged');
  assert.ok(files.includes('server/native/binding.gyp'), 'binding.gyp (loadNative\'s package-root marker) is packaged');
  assert.deepEqual(files.filter((f) => /^server\/native\/(src|build\/Release\/obj)/.test(f)), [], 'no native sources or build leftovers');
});

test('the CLI from the unpacked .vsix: backend, NRRD/MetaImage/DICOM through itk-wasm, train, explain', { timeout: 600_000 }, () => {
  const ext = unpackVsix(packagedVsix());
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-pkg-ws-'));

  const doctor = cli(ext, ['doctor', '--json'], ws);
  assert.equal(doctor.status, 0, doctor.out);
  const details = (doctor.json?.details ?? {}) as Record<string, unknown>;
  assert.ok(['wasm', 'webgpu', 'tensorflow', 'tensorflow-gpu'].includes(String(doctor.json?.backend)), `backend from the package: ${doctor.out}`);
  // Whether the native kernels ship: a package built where the addon built must load it.
  const nativeNote = String(details.nativeKernels ?? '');
  console.log(`# packaged native kernels: ${nativeNote || '(none reported)'}`);
  if (fs.existsSync(path.join(ROOT, ADDON))) assert.match(nativeNote, /oneDNN/, 'the addon built here loads from the package');

  const g: Geometry3 = { spacing: [1, 1, 2], origin: [0, 0, 0], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] };
  const dims = [6, 5, 4];
  const files = [
    writeNrrd(path.join(ws, 'a.nrrd'), rampVolume(dims), dims, g),
    writeMetaImage(path.join(ws, 'a.mha'), rampVolume(dims), dims, g),
  ];
  const series = path.join(ws, 'series');
  fs.mkdirSync(series);
  for (let i = 0; i < 3; i++) {
    writeDicomSlice(path.join(series, `s${i}.dcm`), {
      seriesUid: '1.2.826.0.1.3680043.8.498.7', seriesNumber: 1, description: 'pkg', instance: i + 1, position: [0, 0, i * 2],
      orientation: [1, 0, 0, 0, 1, 0], pixelSpacing: [1, 1], rows: 4, columns: 5, pixels: new Int16Array(20).map((_, k) => k * (i + 1)),
    });
  }
  files.push(series);
  for (const f of files) {
    const r = cli(ext, ['info', f, '--json'], ws);
    assert.equal(r.status, 0, `info ${path.basename(f)}: ${r.out}`);
    assert.ok(Array.isArray(r.json?.dims), `${path.basename(f)} has dims: ${r.out}`);
  }

  fs.cpSync(path.join(ext, 'samples'), path.join(ws, 'samples'), { recursive: true });
  fs.writeFileSync(
    path.join(ws, 'tiny.medstudio.yaml'),
    'method: supervised\ndata: { format: csv, path: samples/skin-lesions/labels.csv }\nmodel: { backbone: resnet, width: 8, depth: 1, inputSize: 28 }\ntrain: { epochs: 1, batchSize: 32, lr: 0.003, seed: 2 }\n',
  );
  const train = cli(ext, ['train', 'tiny.medstudio.yaml', '--json'], ws);
  assert.equal(train.status, 0, train.out);
  const runDir = String(train.json?.runDir ?? '');
  assert.ok(fs.existsSync(path.join(runDir, 'model', 'model.json')), `a model was saved: ${train.out.slice(-2000)}`);

  const image = path.join(ws, 'samples', 'skin-lesions', 'images', fs.readdirSync(path.join(ws, 'samples', 'skin-lesions', 'images')).sort()[0]!);
  const explain = cli(ext, ['explain', runDir, image, '--out', path.join(ws, 'explain'), '--json'], ws);
  assert.equal(explain.status, 0, explain.out);
  assert.ok(fs.readdirSync(path.join(ws, 'explain')).some((f) => f.endsWith('.png')), 'a Grad-CAM image was written');
  fs.rmSync(ws, { recursive: true, force: true });
  fs.rmSync(path.dirname(ext), { recursive: true, force: true });
});
