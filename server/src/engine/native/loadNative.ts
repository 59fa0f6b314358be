/**
 * Loads MedStudio's optional native kernel addon (server/native: oneDNN, built at install by
 * node-gyp where the system has oneDNN's headers, skipped cleanly where not). Loading never
 * throws: without the addon the wasm kernel pack runs alone and `reason` says why.
 * MEDSTUDIO_NATIVE=0 turns it off (the benchmark uses that to measure pure wasm);
 * MEDSTUDIO_NATIVE_ADDON=<file.node> loads another build of it (the AddressSanitizer test's).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The addon's functions (server/native/src/addon.cc). Buffers are views of the wasm heap. */
export interface NativeAddon {
  /** kind 0 forward (writes dst), 1 backward-data (writes src), 2 backward-weights (writes weights). */
  conv(kind: 0 | 1 | 2, geometry: Int32Array, src: Float32Array, weights: Float32Array, dst: Float32Array, bias: Float32Array | null): void;
  /** c = op(a) . op(b) (+ bias) (act); geometry [batchA, batchB, M, K, N, transposeA, transposeB, act, hasBias]. */
  matmul(geometry: Int32Array, a: Float32Array, b: Float32Array, c: Float32Array, bias: Float32Array | null): void;
  /** y = maxpool(x); with dy and dx, also dx = the gradient. */
  maxPool(geometry: Int32Array, x: Float32Array, y: Float32Array, dy: Float32Array | null, dx: Float32Array | null): void;
  /** op 0 add, 1 sub, 2 mul, 3 div, 4 squared difference; mode: see addon.cc's Broadcast. */
  binary(op: number, mode: number, inner: number, a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** out[o, i] = scale * sum over j of x[o, j, i]. */
  reduceSum(x: Float32Array, out: Float32Array, outer: number, reduced: number, inner: number, scale: number): void;
  /** out[.., c] = a * p[c] + b * q[c] + r[c] (b and q may be null). */
  channelAffine(a: Float32Array, b: Float32Array | null, out: Float32Array, p: Float32Array, q: Float32Array | null, r: Float32Array): void;
  /** Per channel: out[c] = sum a, out[C + c] = sum a * (b - center[c]), or sum a^2 without b. */
  channelSums(a: Float32Array, b: Float32Array | null, center: Float32Array | null, out: Float64Array): void;
  /** op 0 square, 1 relu, 2 step(alpha), 3 sqrt, 4 rsqrt. */
  unary(op: number, x: Float32Array, out: Float32Array, alpha: number): void;
  /** op 0 >=, 1 <=, 2 >, 3 <, 4 ==; mode 0 same shape, 3 b scalar, 4 a scalar. */
  compare(op: number, mode: number, a: Float32Array, b: Float32Array, out: Uint8Array): void;
  logicalAnd(a: Uint8Array, b: Uint8Array, out: Uint8Array): void;
  select(cond: Uint8Array, a: Float32Array, b: Float32Array, out: Float32Array): void;
  setThreads(n: number): number;
  info(): string;
  /** One line per oneDNN implementation a probe caught writing outside its buffers (then skipped). */
  rejections(): string[];
}

export const ADDON_RELATIVE = path.join('server', 'native', 'build', 'Release', 'medstudio_native.node');

export type NativeLoad = { addon: NativeAddon; path: string } | { addon?: undefined; reason: string };

/** The package root: the nearest folder above `from` holding server/native/binding.gyp. */
function packageRoot(from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'server', 'native', 'binding.gyp'))) return dir;
    if (path.dirname(dir) === dir) return undefined;
  }
}

let loaded: NativeLoad | undefined;

export function loadNative(): NativeLoad {
  if (loaded) return loaded;
  loaded = tryLoad();
  return loaded;
}

function tryLoad(): NativeLoad {
  if (process.env.MEDSTUDIO_NATIVE === '0') return { reason: 'turned off (MEDSTUDIO_NATIVE=0)' };
  const override = process.env.MEDSTUDIO_NATIVE_ADDON;
  const root = packageRoot(__dirname);
  if (!root && !override) return { reason: 'server/native is not part of this installation' };
  const file = override ? path.resolve(override) : path.join(root!, ADDON_RELATIVE);
  if (override && !fs.existsSync(file)) return { reason: `MEDSTUDIO_NATIVE_ADDON=${override} does not exist` };
  if (!fs.existsSync(file)) {
    const log = path.join(root!, 'server', 'native', 'build-skipped.txt');
    const why = fs.existsSync(log) ? ` (${fs.readFileSync(log, 'utf8').trim().split('\n')[0]})` : '';
    return { reason: `native kernels not built${why}; install Debian's libdnnl-dev and run npm rebuild` };
  }
  // How OpenMP threads wait between kernels (libgomp reads this when the addon loads it). Where
  // wasm keeps its own thread pool too, spinning steals the cores that pool needs (model D: 28 vs
  // 56 images/s on 2 cores), so they wait passively. Without it (the default with the addon) a
  // training step is a stream of kernels with JS between them: a long spin (~1 s, then they
  // sleep, so an idle server burns nothing) keeps the threads awake across those gaps, where
  // libgomp's default short spin lets them fall asleep (2 threads: D 120 vs 85, C 322 vs 265).
  if (process.env.MEDSTUDIO_NATIVE_WASM_POOL === '1') process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  else process.env.GOMP_SPINCOUNT ??= '30000000';
  try {
    // A computed path so bundlers leave the require alone.
    const addon = module.require(file) as NativeAddon;
    addon.info();
    return { addon, path: file };
  } catch (e) {
    return { reason: `native kernels failed to load: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` };
  }
}
