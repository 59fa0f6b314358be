import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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
});
