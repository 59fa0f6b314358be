/**
 * Gradient checks: every op a MedStudio training step needs, run forward and backward on the
 * backend in use and on the pure-JS `cpu` reference, over randomised shapes, strides, paddings
 * and dilations. Shared by the unit tests and `medstudio doctor --gradcheck`.
 *
 * Error measure: normwise relative error, max|got - ref| / max(max|ref|, 1e-6), taken over the
 * op's output and the gradient of every input (loss = sum(op(x) * r), r random), worst one wins.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradcheckFamilies, type GradCase, type GradFamily } from './gradcheckCases';

export interface GradcheckResult {
  name: string;
  /** Kernels the case exercises (forward and backward). */
  kernels: string[];
  backend: string;
  /** Worst normwise relative error over the output and every input gradient. */
  relErr: number;
  tolerance: number;
  ok: boolean;
  ms: number;
  error?: string;
  /** The seed that replays this case alone (randomized sweep cases). */
  seed?: number;
}

export interface GradcheckOptions {
  /** Backend under test (default: the active one). */
  backend?: string;
  seed?: number;
  /** Random configurations per op family. */
  repeats?: number;
  /** Default 1e-4; 1e-3 for GPU backends (float32 with different summation order). */
  tolerance?: number;
  /** Only families whose name contains one of these. */
  only?: string[];
  /** The families to draw from (default: gradcheckFamilies). */
  families?: GradFamily[];
  /** Called before each case runs (progress; names the case if the process dies in it). */
  onCase?: (name: string) => void;
}

/** mulberry32: small, seedable, good enough for test shapes and data. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomData(rand: () => number, size: number): Float32Array {
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = rand() * 2 - 1;
  return v;
}

/** The cpu backend greets Node users once with advice to install tfjs-node: not here. */
function quietCpu(): void {
  const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | undefined;
  if (cpu) cpu.firstUse = false;
}

interface Evaluated {
  values: Float32Array[];
}

/**
 * Output and input gradients of `c` on the active backend, as plain arrays. Read asynchronously:
 * a GPU backend in Node cannot read synchronously.
 */
async function evaluate(c: GradCase, data: Float32Array[], cotangent: Float32Array | undefined): Promise<Evaluated> {
  const outs = tf.tidy(() => {
    const xs = c.shapes.map((s, i) => tf.tensor(data[i]!, s));
    if (!c.gradients) return [c.f(xs)];
    const y = c.f(xs);
    const r = tf.tensor(cotangent!, y.shape);
    const grads = tf.grads((...ins: tf.Tensor[]) => tf.sum(tf.mul(c.f(ins), r)))(xs);
    return [y, ...grads];
  });
  try {
    return { values: (await Promise.all(outs.map((t) => t.data()))) as Float32Array[] };
  } finally {
    tf.dispose(outs);
  }
}

function relativeError(got: Float32Array, ref: Float32Array): number {
  if (got.length !== ref.length) return Infinity;
  let diff = 0;
  let scale = 1e-6;
  for (let i = 0; i < ref.length; i++) {
    const d = Math.abs(got[i]! - ref[i]!);
    if (!(d <= diff)) diff = d; // also catches NaN
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return diff / scale;
}

export async function runGradcheck(opts: GradcheckOptions = {}): Promise<GradcheckResult[]> {
  const original = tf.getBackend();
  const target = opts.backend ?? original;
  const tolerance = opts.tolerance ?? (target === 'webgpu' || target === 'webgl' ? 1e-3 : 1e-4);
  const rand = seededRandom(opts.seed ?? 20261126);
  const repeats = opts.repeats ?? 3;
  const results: GradcheckResult[] = [];
  try {
    for (const family of opts.families ?? gradcheckFamilies) {
      if (opts.only && !opts.only.some((o) => family.name.includes(o))) continue;
      for (let k = 0; k < repeats; k++) {
        const c = family.make(rand);
        const data = c.shapes.map((s) => randomData(rand, s.reduce((a, b) => a * b, 1)));
        opts.onCase?.(c.name);
        const t0 = performance.now();
        let relErr = Infinity;
        let error: string | undefined;
        try {
          await tf.setBackend('cpu');
          quietCpu();
          const outShape = tf.tidy(() => c.f(c.shapes.map((s, i) => tf.tensor(data[i]!, s))).shape);
          const cot = c.gradients ? randomData(rand, outShape.reduce((a, b) => a * b, 1)) : undefined;
          const ref = await evaluate(c, data, cot);
          await tf.setBackend(target);
          const got = await evaluate(c, data, cot);
          relErr = Math.max(...ref.values.map((r, i) => relativeError(got.values[i]!, r)));
        } catch (e) {
          error = e instanceof Error ? e.message.split('\n')[0] : String(e);
        }
        results.push({
          name: c.name,
          kernels: c.kernels,
          backend: target,
          relErr,
          tolerance,
          ok: error === undefined && relErr <= tolerance,
          ms: performance.now() - t0,
          ...(error ? { error } : {}),
        });
      }
    }
  } finally {
    await tf.setBackend(original);
  }
  return results;
}

/** A table a person reads; the last line says how many passed. */
export function formatGradcheckTable(results: GradcheckResult[]): string[] {
  const w = Math.max(4, ...results.map((r) => r.name.length));
  const lines = [`${'case'.padEnd(w)}  ${'rel. error'.padStart(10)}  ${'limit'.padStart(7)}  ${'ms'.padStart(6)}  result`];
  for (const r of results) {
    const err = Number.isFinite(r.relErr) ? r.relErr.toExponential(2) : 'n/a';
    lines.push(`${r.name.padEnd(w)}  ${err.padStart(10)}  ${r.tolerance.toExponential(0).padStart(7)}  ${r.ms.toFixed(0).padStart(6)}  ${r.ok ? 'ok' : `FAIL${r.error ? `: ${r.error}` : ''}`}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  const kernels = new Set(results.flatMap((r) => r.kernels));
  lines.push(`${results.length - failed}/${results.length} gradient checks passed on ${results[0]?.backend ?? '?'} against cpu (${kernels.size} kernels)`);
  return lines;
}
