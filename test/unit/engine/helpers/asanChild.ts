/**
 * What test/unit/engine/nativeAsan.test.ts runs inside a process where the native addon is the
 * AddressSanitizer build (MEDSTUDIO_NATIVE_ADDON, LD_PRELOAD=libasan): the randomized kernel
 * sweep against cpu, a few training steps of ResNet and MobileNet, and calls with operands of
 * the wrong length on typed arrays of exactly that length (malloc'd by Node, so ASan sees any
 * read or write past them). Prints one JSON line: { failures, cases }.
 */
import { ensureBackend } from '../../../../server/src/engine/backend';
import { runKernelSweep } from '../../../../server/src/engine/kernelSweep';
import { loadNative } from '../../../../server/src/engine/native/loadNative';
import { runCase } from './smokeNets';

async function main(): Promise<void> {
  const native = loadNative();
  if (!native.addon) throw new Error(`the sanitized addon did not load: ${native.reason}`);
  const addon = native.addon;
  const failures: string[] = [];
  const expectThrow = (what: string, f: () => void): void => {
    try {
      f();
      failures.push(`${what}: ran instead of refusing`);
    } catch (e) {
      if ((e as { code?: string }).code !== 'MEDSTUDIO_NATIVE') failures.push(`${what}: ${String(e)}`);
    }
  };
  const n = 4096;
  const f32 = (k: number): Float32Array => new Float32Array(k).fill(0.5);
  expectThrow('binary with a short b', () => addon.binary(0, 0, 16, f32(n), f32(n - 1), f32(n)));
  expectThrow('binary per-row with a short row', () => addon.binary(2, 1, 64, f32(n), f32(63), f32(n)));
  expectThrow('reduceSum into a short output', () => addon.reduceSum(f32(n), f32(31), 64, 2, 32, 1));
  expectThrow('channelAffine with a short b', () => addon.channelAffine(f32(n), f32(n - 16), f32(n), f32(16), f32(16), f32(16)));
  expectThrow('channelSums with a short center', () => addon.channelSums(f32(n), f32(n), f32(15), new Float64Array(32)));
  expectThrow('select with a short condition', () => addon.select(new Uint8Array(n - 1), f32(n), f32(n), f32(n)));
  expectThrow('unary into a longer output', () => addon.unary(1, f32(n), f32(n + 1), 0));

  await ensureBackend({ backend: 'wasm', threads: 2 });
  const sweep = await runKernelSweep({ backend: 'wasm', seed: 17101, cases: 14 });
  for (const r of sweep) if (!r.ok) failures.push(`${r.name}: ${r.error ?? r.relErr}`);
  const steps = [
    { net: 'resnet', inputSize: 64, batch: 7 },
    { net: 'resnet', inputSize: 32, batch: 1 },
    { net: 'mobilenet', inputSize: 48, batch: 3 },
  ] as const;
  for (const c of steps) {
    const r = runCase(c);
    if (r.error || !r.losses.every(Number.isFinite)) failures.push(`${c.net} ${c.inputSize} x${c.batch}: ${r.error ?? r.losses.join(', ')}`);
  }
  process.stdout.write(`${JSON.stringify({ failures, cases: sweep.length + steps.length + 7 })}\n`);
}

void main().catch((e: unknown) => {
  process.stdout.write(`${JSON.stringify({ failures: [String(e)], cases: 0 })}\n`);
  process.exitCode = 1;
});
