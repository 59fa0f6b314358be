import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './lspClient';

test('the .vsix carries everything the extension needs at run time, wasm files included', () => {
  // `vsce ls` lists exactly what `npm run package` puts in the .vsix (it runs on Node 20).
  const files = execFileSync(process.execPath, ['node_modules/@vscode/vsce/vsce', 'ls'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 }).split('\n');
  const has = (re: RegExp) => files.some((f) => re.test(f));
  for (const f of ['dist/extension.js', 'dist/server.js', 'dist/jobWorker.js', 'dist/cli.js', 'dist/webviews/status.js', 'bin/medstudio.js', 'server/schemas/medstudio-experiment.schema.json']) {
    assert.ok(files.includes(f), `${f} is packaged`);
  }
  assert.ok(has(/^node_modules\/@tensorflow\/tfjs-backend-wasm\/dist\/tfjs-backend-wasm-simd\.wasm$/), 'the wasm backend binary is packaged');
  assert.ok(has(/^node_modules\/@itk-wasm\/image-io\/dist\/pipelines\/nifti-read-image\.wasm\.zst$/), 'itk-wasm image pipelines are packaged');
  assert.ok(has(/^samples\/skin-lesions\/labels\.csv$/), 'the samples (for templates and the walkthrough) are packaged');
  assert.ok(!has(/^(extension|server|webviews)\/src\//), 'no TypeScript sources');
  assert.ok(!has(/^test\//), 'no tests');
  // The native addon: the .node when it was built here, binding.gyp (loadNative's package-root
  // marker), and none of its sources or node-gyp's objects and Makefiles.
  const addon = 'server/native/build/Release/medstudio_native.node';
  assert.ok(files.includes('server/native/binding.gyp'), 'binding.gyp is packaged');
  if (fs.existsSync(path.join(ROOT, addon))) assert.ok(files.includes(addon), 'the built native addon is packaged');
  const nativeExtras = files.filter((f) => f.startsWith('server/native/') && !['server/native/binding.gyp', 'server/native/build-skipped.txt', addon].includes(f));
  assert.deepEqual(nativeExtras, [], 'no native sources or build leftovers');
});
