#!/usr/bin/env node
// Runs MedStudio's test layers in order and ends with one line "N passed, N failed[, N skipped]".
//   unit      engine, kernels, readers, algorithms on tiny data        (node:test)
//   server    the built server process driven by a real LSP client      (node:test)
//   slurm     sweeps on a one-node Slurm cluster started here (slurm-wlm) (node:test)
//   webviews  the built webview bundles in headless Chromium            (node:test + playwright-core)
//   webgpu    the webgpu backend on SwiftShader (CPU Vulkan): gradchecks, each method's steps vs wasm
//   real-data readers on ../shared/data/real (says so when it is absent) (node:test)
//   vscode    the extension in a real VS Code host (code-server)        (mocha inside the host)
// Usage: node test/run-all.mjs [layer ...]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const ALL = ['unit', 'server', 'slurm', 'webviews', 'webgpu', 'real-data', 'vscode'];
const layers = process.argv.slice(2).length ? process.argv.slice(2) : ALL;
const totals = { passed: 0, failed: 0, skipped: 0 };
const report = [];

function findTests(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...findTests(p));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out.sort();
}

function runNodeTests(layer) {
  const files = findTests(path.join(root, 'test', layer));
  if (!files.length) return { passed: 0, failed: 0, skipped: 0 };
  const tap = path.join(os.tmpdir(), `medstudio-${layer}-${process.pid}.tap`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', '--test-reporter-destination=stdout',
      '--test-reporter=tap', `--test-reporter-destination=${tap}`, ...files],
    { cwd: root, stdio: 'inherit', env: { ...process.env, MEDSTUDIO_TEST_LAYER: layer } },
  );
  const text = fs.existsSync(tap) ? fs.readFileSync(tap, 'utf8') : '';
  const num = (k) => Number((text.match(new RegExp(`^# ${k} (\\d+)`, 'm')) ?? [])[1] ?? 0);
  const res = { passed: num('pass'), failed: num('fail') + num('cancelled'), skipped: num('skipped') + num('todo') };
  if (r.status !== 0 && res.failed === 0) res.failed = 1; // a crash before any test reported
  return res;
}

function runVscode() {
  const summary = path.join(os.tmpdir(), `medstudio-vscode-${process.pid}.json`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'test/vscode/run.ts'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, MEDSTUDIO_SUMMARY_FILE: summary },
  });
  if (!fs.existsSync(summary)) return { passed: 0, failed: 1, skipped: 0 };
  const s = JSON.parse(fs.readFileSync(summary, 'utf8'));
  if (r.status !== 0 && !s.failed) s.failed = 1;
  return { passed: s.passed ?? 0, failed: s.failed ?? 0, skipped: s.skipped ?? 0 };
}

// The server and VS Code host layers test the package a user installs: build it once for the
// run (`npm run package`, which also builds the production bundles in dist/ that the server
// tests start; minified, as shipped) and hand its path to both (MEDSTUDIO_VSIX).
const hostFromVsix = layers.includes('vscode') && process.env.MEDSTUDIO_VSCODE_FROM !== 'dev';
const needsPackage = (layers.includes('server') || hostFromVsix) && !process.env.MEDSTUDIO_VSIX;
const needsBuild = layers.some((l) => l !== 'unit');
if (needsBuild) {
  const vsix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-run-')), 'medstudio.vsix');
  const t0 = Date.now();
  const b = needsPackage
    ? spawnSync(process.execPath, ['bin/package.mjs', '--out', vsix], { cwd: root, stdio: 'inherit' })
    : spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) {
    console.log(needsPackage ? 'packaging failed' : 'build failed');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  if (needsPackage) {
    process.env.MEDSTUDIO_VSIX = vsix;
    report.push(`${'package'.padEnd(10)} ${path.basename(vsix)} built (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
}

for (const layer of layers) {
  if (!ALL.includes(layer)) {
    console.error(`unknown test layer '${layer}' (known: ${ALL.join(', ')})`);
    process.exit(2);
  }
  const t0 = Date.now();
  console.log(`\n=== ${layer} tests ===`);
  const res = layer === 'vscode' ? runVscode() : runNodeTests(layer);
  report.push(`${layer.padEnd(10)} ${res.passed} passed, ${res.failed} failed, ${res.skipped} skipped (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  for (const k of Object.keys(totals)) totals[k] += res[k];
}

console.log('\n=== summary ===');
for (const line of report) console.log(line);
console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
