/** The optional native kernel addon: its install-time build (server/native/build.mjs) and loading. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ADDON_RELATIVE } from '../../../server/src/engine/native/loadNative';

const root = path.resolve(__dirname, '../../..');
const nativeDir = path.join(root, 'server', 'native');
const builtAddon = path.join(root, ADDON_RELATIVE);

/** The environment without the switches a developer may have set in their shell. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const k of ['MEDSTUDIO_NATIVE', 'MEDSTUDIO_NATIVE_DIR', 'MEDSTUDIO_NATIVE_INCLUDE', 'MEDSTUDIO_NATIVE_ADDON']) if (!(k in extra)) delete env[k];
  return env;
}

/** loadNative() in a fresh process (it caches its answer and reads MEDSTUDIO_NATIVE once). */
function loadInChild(extra: Record<string, string>): { info?: string; reason?: string } {
  const code = `const { loadNative } = require(${JSON.stringify(path.join(root, 'server/src/engine/native/loadNative.ts'))});
const r = loadNative();
console.log(JSON.stringify(r.addon ? { info: r.addon.info() } : { reason: r.reason }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code], { cwd: root, encoding: 'utf8', timeout: 60_000, env: cleanEnv(extra) });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { info?: string; reason?: string };
}

test('an install without oneDNN headers still succeeds, leaves no stale addon and says to install libdnnl-dev', () => {
  // A copy of server/native: the real build is never touched.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-native-'));
  try {
    fs.copyFileSync(path.join(nativeDir, 'binding.gyp'), path.join(dir, 'binding.gyp'));
    fs.cpSync(path.join(nativeDir, 'src'), path.join(dir, 'src'), { recursive: true });
    const stale = path.join(dir, 'build', 'Release', 'medstudio_native.node');
    fs.mkdirSync(path.dirname(stale), { recursive: true });
    fs.writeFileSync(stale, 'an addon from an earlier install');

    const r = spawnSync(process.execPath, [path.join(nativeDir, 'build.mjs'), dir], {
      encoding: 'utf8',
      timeout: 60_000,
      env: cleanEnv({ MEDSTUDIO_NATIVE_INCLUDE: path.join(dir, 'no-such-include') }),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = r.stdout.trim().split('\n');
    assert.equal(out.length, 1, `one line of output, got: ${r.stdout}`);
    assert.match(out[0]!, /native kernels: skipped .*wasm kernels will be used/);
    const reason = fs.readFileSync(path.join(dir, 'build-skipped.txt'), 'utf8');
    assert.match(reason, /libdnnl-dev/);
    assert.equal(reason.trim().split('\n').length, 1, 'the reason is one line');
    assert.equal(fs.existsSync(stale), false, 'the stale addon is removed');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'the built native addon loads and names its oneDNN version',
  { skip: !fs.existsSync(builtAddon) && `the native addon is not built here (${ADDON_RELATIVE} missing: apt install libdnnl-dev, then node server/native/build.mjs)` },
  () => {
    const r = loadInChild({});
    assert.equal(r.reason, undefined, `it should load, but: ${r.reason}`);
    assert.match(r.info ?? '', /oneDNN \d+\.\d+/);
  },
);

test('MEDSTUDIO_NATIVE=0 turns the native kernels off and says so', () => {
  const r = loadInChild({ MEDSTUDIO_NATIVE: '0' });
  assert.equal(r.info, undefined);
  assert.match(r.reason ?? '', /MEDSTUDIO_NATIVE/);
});

test(
  'the built addon carries the oneDNN and OpenMP libraries it links and finds them through $ORIGIN',
  { skip: (process.platform !== 'linux' || !fs.existsSync(builtAddon)) && `Linux with the addon built only (${ADDON_RELATIVE})` },
  () => {
    const release = path.dirname(builtAddon);
    const readelf = spawnSync('readelf', ['-d', builtAddon], { encoding: 'utf8' });
    assert.match(readelf.stdout, /\(RPATH\).*\$ORIGIN/, 'linked with an $ORIGIN rpath');
    const ldd = spawnSync('ldd', [builtAddon], { encoding: 'utf8' }).stdout;
    for (const lib of ['libdnnl.so.2', 'libgomp.so.1']) {
      assert.ok(fs.existsSync(path.join(release, lib)), `${lib} is copied next to the addon`);
      assert.match(ldd, new RegExp(`${lib.replace(/\./g, '\\.')} => ${release.replace(/[.+]/g, '\\$&')}/`), `${lib} resolves to the copy`);
    }
    assert.doesNotMatch(ldd, /not found/);
    // The package keeps them: .vscodeignore lets the libraries next to the addon through.
    const ignore = fs.readFileSync(path.join(root, '.vscodeignore'), 'utf8');
    assert.match(ignore, /^!server\/native\/build\/Release\/\*\.so\.\*$/m);
  },
);
