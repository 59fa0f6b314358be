#!/usr/bin/env node
// `npm run package [-- --target <vsce target>] [--out FILE]`: a platform-specific .vsix.
// Builds the production bundles, then runs vsce with .vscodeignore plus the target's lines:
// Dawn's (webgpu) binary for that platform only, and the native kernel addon (with the libraries
// beside it) only when the target is this machine's platform, since that is where it was built.
// Default target: this machine; default file: medstudio.vsix for it, medstudio-<target>.vsix
// for another. Prints the package's size and file count.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64', 'win32-arm64'];
const host = `${process.platform}-${process.arch}`;

function arg(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const target = arg('--target') ?? host;
if (!TARGETS.includes(target)) {
  console.error(`medstudio package: unknown target '${target}' (known: ${TARGETS.join(', ')})`);
  process.exit(2);
}
const out = path.resolve(root, arg('--out') ?? (target === host ? 'medstudio.vsix' : `medstudio-${target}.vsix`));

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`medstudio package: ${path.basename(cmd)} ${args.join(' ')} failed (exit code ${r.status})`);
    process.exit(1);
  }
}

run(process.execPath, ['esbuild.mjs', '--production']);

const dawnDir = target.startsWith('darwin-') ? 'darwin-universal' : target;
let lines = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8').split('\n');
if (target !== host) {
  // The addon in server/native/build/ was compiled for this machine, not for the target.
  lines = lines.filter((l) => !l.startsWith('!server/native/build/'));
  console.log(`medstudio package: ${target} is not this machine (${host}): no native kernels in it (wasm kernels are used there)`);
}
lines.push(`!node_modules/webgpu/dist/${dawnDir}/**`);
const ignoreFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-package-')), 'vscodeignore');
fs.writeFileSync(ignoreFile, lines.join('\n'));

run(process.execPath, [path.join(root, 'node_modules/@vscode/vsce/vsce'), 'package', '--target', target, '--ignoreFile', ignoreFile, '--out', out]);
fs.rmSync(path.dirname(ignoreFile), { recursive: true, force: true });

// Entries in the zip (as vsce counts them): the end-of-central-directory record's total.
const buf = fs.readFileSync(out);
const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
const count = buf.readUInt16LE(eocd + 10);
const mb = (fs.statSync(out).size / 2 ** 20).toFixed(1);
console.log(`medstudio package: ${path.relative(root, out)} for ${target}: ${mb} MB, ${count} files`);
