import { ensureBackend } from '../../engine/backend';
import { formatComputeStatus } from '../../engine/formatStatus';
import { formatGradcheckTable, runGradcheck } from '../../engine/gradcheck';
import { runKernelSweep } from '../../engine/kernelSweep';
import { loadNative } from '../../engine/native/loadNative';
import { UsageError, type CliCommand } from '../types';

export const doctor: CliCommand = {
  name: 'doctor',
  summary: 'show the compute backend MedStudio picks here, and why not a better one; --gradcheck verifies its gradients and kernels',
  usage:
    'medstudio doctor [--backend auto|tensorflow-gpu|tensorflow|webgpu|wasm|cpu] [--threads N] [--gradcheck [--seed N] [--repeats N] [--sweep N] [--sweep-seed S]] [--json]',
  options: {
    backend: { type: 'string' },
    threads: { type: 'string' },
    gradcheck: { type: 'boolean' },
    seed: { type: 'string' },
    repeats: { type: 'string' },
    sweep: { type: 'string' },
    'sweep-seed': { type: 'string' },
  },
  async run({ values }, io) {
    const int = (k: string, fallback: number): number => {
      const v = values[k];
      if (v === undefined) return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${k} must be a whole number (got '${String(v)}')`);
      return n;
    };
    const status = await ensureBackend({ backend: (values.backend as never) ?? 'auto', threads: int('threads', 0) });
    if (!io.json) for (const line of formatComputeStatus(status)) io.out(line);
    if (!values.gradcheck) return status;
    if (!io.json) io.out('');
    // --sweep-seed S replays one randomized case (the seed a failure printed), nothing else.
    const replay = values['sweep-seed'] !== undefined;
    // Every op a training step needs, on this backend against the pure-JS reference...
    const results = replay ? [] : await runGradcheck({ seed: int('seed', 20261126), repeats: Math.max(1, int('repeats', 3)) });
    // ...and the heavy kernels over random geometries (this machine's ISA and core count pick
    // oneDNN's implementations: what passed on ours may not be what runs here).
    const sweep = await runKernelSweep(
      replay ? { seed: int('sweep-seed', 0), cases: 1, regressions: false } : { seed: int('seed', 20261126) % 100000, cases: int('sweep', 30) },
    );
    const all = [...results, ...sweep];
    if (!io.json) for (const line of formatGradcheckTable(all)) io.out(line);
    const rejected = loadNative().addon?.rejections() ?? [];
    if (!io.json && rejected.length) {
      io.out('oneDNN implementations skipped (wrote outside their buffers when probed):');
      for (const r of rejected) io.out(`  ${r}`);
    }
    const failed = all.filter((r) => !r.ok).length;
    return {
      ...status,
      gradcheck: { backend: status.backend, reference: 'cpu', passed: all.length - failed, failed, results: all, ...(rejected.length ? { rejectedImplementations: rejected } : {}) },
      ...(failed > 0 ? { exitCode: 1 } : {}),
    };
  },
};
