#!/usr/bin/env node
// Builds MedStudio's optional native kernel addon (oneDNN) with node-gyp. `npm ci` / `npm install`
// run it through the package's `install` script. It never fails an install: when a prerequisite
// is missing or the build fails it removes any stale addon, writes a one-line reason to
// build-skipped.txt (loadNative.ts shows it) and exits 0, so the wasm kernels run alone.
//
// On Linux the addon is linked with an $ORIGIN rpath and the shared libraries it needs beyond the
// C/C++ runtime (oneDNN, OpenMP, the OpenCL loader oneDNN links; found with ldd) are copied next
// to it, so a packaged extension runs where libdnnl is not installed.
//
//   node server/native/build.mjs [dir]   dir: the folder holding binding.gyp (default: this one)
//   node server/native/build.mjs --sanitize=address OUT
//                                        an AddressSanitizer copy built in OUT (its own binding.gyp
//                                        over a copy of the sources); loading it needs LD_PRELOAD of the
//                                        libasan that OUT/sanitizer.json names (the tests do this)
//   MEDSTUDIO_NATIVE=0                   skip the build
//   MEDSTUDIO_NATIVE_DIR=dir             same as the argument
//   MEDSTUDIO_NATIVE_INCLUDE=dir         where to look for oneapi/dnnl/dnnl.hpp (tests point it
//                                        at a folder without it)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const sanitize = argv.find((a) => a.startsWith('--sanitize='))?.slice('--sanitize='.length);
const positional = argv.filter((a) => !a.startsWith('--'));
const dir = path.resolve(positional[0] ?? process.env.MEDSTUDIO_NATIVE_DIR ?? here);
const addonFile = path.join(dir, 'build', 'Release', 'medstudio_native.node');
const skippedFile = path.join(dir, 'build-skipped.txt');
const BUILD_TIMEOUT_MS = 10 * 60_000;

class Skip extends Error {}

try {
  const info = build();
  fs.rmSync(skippedFile, { force: true });
  console.log(`MedStudio native kernels: built (${info})`);
} catch (e) {
  const reason = oneLine(e instanceof Skip ? e.message : `unexpected error: ${e instanceof Error ? e.message : String(e)}`);
  try {
    fs.rmSync(addonFile, { force: true });
    fs.writeFileSync(skippedFile, reason + '\n');
  } catch {
    // A read-only install still must not fail; loadNative then says "not built".
  }
  console.log(`MedStudio native kernels: skipped (${reason}); the wasm kernels will be used`);
}
process.exitCode = 0;

/** Builds and load-checks the addon; returns its info() line. Throws Skip with a reason. */
function build() {
  if (process.env.MEDSTUDIO_NATIVE === '0') throw new Skip('turned off at install (MEDSTUDIO_NATIVE=0)');
  const cxx = (process.env.CXX ?? 'g++').trim().split(/\s+/);
  const loadEnv = { ...process.env };
  if (sanitize) {
    if (sanitize !== 'address') throw new Skip(`unknown sanitizer ${sanitize}`);
    if (dir === here) throw new Skip('an AddressSanitizer build needs its own output folder');
    const libasan = spawnSync(cxx[0], [...cxx.slice(1), '-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout?.trim() ?? '';
    if (!path.isAbsolute(libasan) || !fs.existsSync(libasan)) throw new Skip(`the C++ toolchain has no libasan (${cxx[0]} -print-file-name=libasan.so)`);
    writeSanitizedGyp(libasan);
    Object.assign(loadEnv, { LD_PRELOAD: libasan, ASAN_OPTIONS: 'detect_leaks=0' });
  }
  if (!fs.existsSync(path.join(dir, 'binding.gyp'))) throw new Skip(`no binding.gyp in ${dir}`);

  // node-gyp must use the running node's own headers: this machine may be offline.
  const prefix = path.dirname(path.dirname(process.execPath));
  if (!fs.existsSync(path.join(prefix, 'include', 'node', 'common.gypi'))) {
    throw new Skip(`Node headers not found in ${path.join(prefix, 'include', 'node')} (node-gyp would download them)`);
  }
  const gyp = findNodeGyp(prefix);
  if (!gyp) throw new Skip('node-gyp not found (install with npm)');
  if (!findHeader('oneapi/dnnl/dnnl.hpp')) throw new Skip('oneDNN headers not found (apt install libdnnl-dev)');
  if (!runs(cxx[0], [...cxx.slice(1), '--version'])) throw new Skip(`no C++ compiler (${cxx[0]}) found (apt install g++)`);
  if (!runs('make', ['--version'])) throw new Skip('make not found (apt install make)');

  const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${prefix}`], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    timeout: BUILD_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.error) throw new Skip(`node-gyp did not run: ${r.error.message}`);
  if (r.status !== 0) throw new Skip(`node-gyp failed: ${buildError(`${r.stdout}\n${r.stderr}`)}`);
  if (!fs.existsSync(addonFile)) throw new Skip('node-gyp produced no medstudio_native.node');

  // Load it in a child process: a broken addon must not take the install down with it.
  const bundled = sanitize ? [] : bundleLibraries();
  const load = spawnSync(process.execPath, ['-e', `process.stdout.write(require(${JSON.stringify(addonFile)}).info())`], {
    encoding: 'utf8',
    timeout: 60_000,
    env: loadEnv,
  });
  if (load.status !== 0) throw new Skip(`built but failed to load: ${errorLine(load.stderr) || `exit ${load.status ?? load.signal}`}`);
  return (load.stdout.trim() || 'oneDNN') + (bundled.length ? `; carries ${bundled.join(', ')}` : '') + (sanitize ? `; ${sanitize} sanitizer` : '');
}

/** OUT/binding.gyp and a copy of the sources (gyp wants them below it), with -fsanitize=address. */
function writeSanitizedGyp(libasan) {
  const gyp = JSON.parse(fs.readFileSync(path.join(here, 'binding.gyp'), 'utf8'));
  const t = gyp.targets[0];
  fs.rmSync(path.join(dir, 'src'), { recursive: true, force: true });
  fs.cpSync(path.join(here, 'src'), path.join(dir, 'src'), { recursive: true });
  t.cflags_cc = [...t.cflags_cc.filter((f) => f !== '-O3'), '-O1', '-g', '-fsanitize=address', '-fno-omit-frame-pointer'];
  t.ldflags = [...t.ldflags, '-fsanitize=address'];
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'binding.gyp'), JSON.stringify(gyp, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'sanitizer.json'), JSON.stringify({ sanitizer: 'address', libasan }) + '\n');
}

/**
 * Copies the shared libraries the addon links beyond the C/C++ runtime next to it (the $ORIGIN
 * rpath finds them there first), so the folder works where libdnnl-dev is not installed; returns
 * their names. Not on other OSes (no ldd; the addon is linked differently there).
 */
function bundleLibraries() {
  if (process.platform !== 'linux') return [];
  // Libraries every Linux that runs Node has: never copied.
  const SYSTEM_LIBS = /^(linux-vdso|ld-linux|libc|libm|libdl|libpthread|librt|libstdc\+\+|libgcc_s)[.-]/;
  const ldd = spawnSync('ldd', [addonFile], { encoding: 'utf8' });
  if (ldd.status !== 0) throw new Skip(`ldd failed on the addon: ${errorLine(ldd.stderr)}`);
  const names = [];
  for (const line of ldd.stdout.split('\n')) {
    const m = line.trim().match(/^(\S+) => (\S+)/);
    if (!m || SYSTEM_LIBS.test(m[1])) continue;
    if (m[2] === 'not') throw new Skip(`the addon links ${m[1]}, which is not found`);
    const target = path.join(path.dirname(addonFile), m[1]);
    if (path.resolve(m[2]) === target) continue; // already ours
    fs.rmSync(target, { force: true });
    fs.copyFileSync(fs.realpathSync(m[2]), target);
    names.push(m[1]);
  }
  return names;
}

/** npm's own node-gyp: the one npm names for scripts, else the copy bundled with npm. */
function findNodeGyp(prefix) {
  const candidates = [process.env.npm_config_node_gyp];
  if (process.env.npm_execpath) {
    // npm_execpath is npm's bin/npm-cli.js; its node-gyp sits in npm's node_modules.
    candidates.push(path.join(path.dirname(path.dirname(process.env.npm_execpath)), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  // Run by hand: the npm installed next to this node (Unix prefix layout, then Windows).
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => c && fs.existsSync(c));
}

/** The include folders the compiler searches by default (or just the override). */
function findHeader(rel) {
  const override = process.env.MEDSTUDIO_NATIVE_INCLUDE;
  const dirs = override
    ? [override]
    : ['/usr/include', '/usr/local/include', ...`${process.env.CPATH ?? ''}:${process.env.CPLUS_INCLUDE_PATH ?? ''}`.split(':')];
  return dirs.some((d) => d && fs.existsSync(path.join(d, rel)));
}

function runs(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
  return !r.error && r.status === 0;
}

/** The line of a failed build worth showing: the last compiler/linker error, else node-gyp's. */
function buildError(log) {
  const lines = log.split('\n').map((l) => l.trim()).filter(Boolean);
  // collect2's "ld returned 1 exit status" only repeats that the line before it failed.
  const compiler = lines.filter((l) => !/^(gyp|make|collect2)\b/.test(l) && /(error\b|cannot find|undefined reference)/i.test(l));
  if (compiler.length) return compiler[compiler.length - 1];
  const stack = lines.find((l) => /^gyp ERR! stack \w*Error/.test(l));
  if (stack) return stack.replace(/^gyp ERR! stack /, '');
  return lines.filter((l) => !/^gyp ERR! (cwd|node -v|node-gyp -v|not ok|command|System)/.test(l)).pop() ?? 'no output';
}

/** Node's error line from a failed child (`Error: ...`), else its last line. */
function errorLine(text) {
  const lines = (text ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^\w*Error\b/.test(l)) ?? lines.pop() ?? '';
}

function oneLine(s) {
  const line = s.replace(/\s+/g, ' ').trim();
  return line.length > 240 ? `${line.slice(0, 237)}...` : line;
}
