/**
 * The native addon under AddressSanitizer: a second copy built with -fsanitize=address (by
 * server/native/build.mjs --sanitize=address, into a cache folder keyed by the sources) runs the
 * randomized kernel sweep, a few training steps and wrong-length calls in a child process with
 * libasan preloaded. Any ASan report, crash or failed case fails the test. ASan sees the addon's
 * own loops and Node-allocated buffers; oneDNN's JIT code is not instrumented, which is why every
 * primitive also runs once on guarded buffers before use (safe_plan.h). Skipped, saying why,
 * where the toolchain has no libasan or the addon cannot build.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const root = path.resolve(__dirname, '../../..');
const nativeDir = path.join(root, 'server', 'native');

/** The sanitized build's folder: one per version of the sources, build script and Node. */
function buildDir(): string {
  const h = createHash('sha256');
  for (const f of ['binding.gyp', 'build.mjs', ...fs.readdirSync(path.join(nativeDir, 'src')).sort().map((s) => path.join('src', s))]) {
    h.update(f).update(fs.readFileSync(path.join(nativeDir, f)));
  }
  h.update(process.version);
  return path.join(os.tmpdir(), `medstudio-asan-${h.digest('hex').slice(0, 16)}`);
}

function sanitizedAddon(): { addon: string; libasan: string } | { skip: string } {
  if (process.platform !== 'linux') return { skip: 'AddressSanitizer runs are set up for Linux only' };
  const dir = buildDir();
  const addon = path.join(dir, 'build', 'Release', 'medstudio_native.node');
  const info = path.join(dir, 'sanitizer.json');
  if (!fs.existsSync(addon)) {
    const r = spawnSync(process.execPath, [path.join(nativeDir, 'build.mjs'), '--sanitize=address', dir], { encoding: 'utf8', timeout: 900_000 });
    if (!fs.existsSync(addon)) {
      const why = fs.existsSync(path.join(dir, 'build-skipped.txt')) ? fs.readFileSync(path.join(dir, 'build-skipped.txt'), 'utf8').trim() : r.stdout.trim();
      return { skip: `no AddressSanitizer build of the native addon: ${why}` };
    }
  }
  return { addon, libasan: (JSON.parse(fs.readFileSync(info, 'utf8')) as { libasan: string }).libasan };
}

test('the native kernels under AddressSanitizer: randomized sweep, training steps, wrong-length calls', { timeout: 1_500_000 }, (t) => {
  const built = sanitizedAddon();
  if ('skip' in built) return t.skip(built.skip);
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'helpers', 'asanChild.ts')], {
    cwd: root,
    encoding: 'utf8',
    timeout: 900_000,
    maxBuffer: 1 << 24,
    env: {
      ...process.env,
      LD_PRELOAD: built.libasan,
      // Node and V8 keep memory until exit by design: leaks are not what this looks for.
      ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1',
      MEDSTUDIO_NATIVE_ADDON: built.addon,
    },
  });
  const report = r.stderr.split('\n').filter((l) => /AddressSanitizer|^\s+#\d+ /.test(l)).slice(0, 12).join('\n');
  assert.equal(report, '', 'AddressSanitizer reported an error');
  assert.equal(r.status, 0, `the sanitized run ended with ${r.signal ?? `exit ${r.status}`}: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  const last = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { failures: string[]; cases: number };
  assert.deepEqual(last.failures, []);
  assert.ok(last.cases >= 25, `ran ${last.cases} cases`);
  t.diagnostic(`${last.cases} cases under AddressSanitizer (${built.addon})`);
});
