// The one build script: every bundle of MedStudio.
//   extension: cjs for the VS Code extension host, `vscode` external
//   server, job worker, CLI: node; the pure-JS TensorFlow.js packages are bundled from their ESM
//     builds (one tfjs-core per process, gradients included, and no tfjs package needed in the
//     .vsix but the wasm backend's binaries); itk-wasm (ESM with top-level await) and the native
//     packages (tfjs-node, Dawn) stay external and ship in node_modules (see .vscodeignore)
//   webviews: browser IIFE bundles, one per folder webviews/src/<name>/main.ts
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const root = path.dirname(new URL(import.meta.url).pathname);

const nodeExternal = [
  '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'itk-wasm', '@itk-wasm/*', 'webgpu', 'vscode', 'playwright-core',
  // The wasm backend's binaries and threaded Emscripten build, found at run time by require.resolve.
  '@tensorflow/tfjs-backend-wasm/dist/*.wasm', '@tensorflow/tfjs-backend-wasm/wasm-out/*',
];
// ESM first: tfjs's gradient and chained-op registrations exist only as ESM side-effect modules.
const nodeBundle = { platform: 'node', format: 'cjs', target: 'node20', external: nodeExternal, mainFields: ['module', 'main'] };
const common = { bundle: true, sourcemap: production ? false : 'linked', minify: production, logLevel: 'warning', legalComments: 'none' };

const webviewEntries = fs
  .readdirSync(path.join(root, 'webviews/src'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && fs.existsSync(path.join(root, 'webviews/src', d.name, 'main.ts')))
  .map((d) => ({ in: `webviews/src/${d.name}/main.ts`, out: d.name }));

const builds = [
  { ...common, entryPoints: ['extension/src/extension.ts'], outfile: 'dist/extension.js', platform: 'node', format: 'cjs', target: 'node18', external: ['vscode'] },
  { ...common, ...nodeBundle, entryPoints: ['server/src/main.ts'], outfile: 'dist/server.js' },
  { ...common, ...nodeBundle, entryPoints: ['server/src/jobs/worker.ts'], outfile: 'dist/jobWorker.js' },
  { ...common, ...nodeBundle, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js' },
];
if (webviewEntries.length) {
  builds.push({ ...common, entryPoints: webviewEntries, outdir: 'dist/webviews', platform: 'browser', format: 'iife', target: 'chrome114', loader: { '.css': 'text' } });
}

if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  const t0 = Date.now();
  await Promise.all(builds.map((b) => esbuild.build(b)));
  console.log(`built ${builds.length} bundle groups in ${Date.now() - t0} ms`);
}
