import { ensureBackend } from '../../engine/backend';
import { formatComputeStatus } from '../../engine/formatStatus';
import { formatGradcheckTable, runGradcheck } from '../../engine/gradcheck';
import { UsageError, type CliCommand } from '../types';

export const doctor: CliCommand = {
  name: 'doctor',
  summary: 'show the compute backend MedStudio picks here, and why not a better one; --gradcheck verifies its gradients',
  usage:
    'medstudio doctor [--backend auto|tensorflow-gpu|tensorflow|webgpu|wasm|cpu] [--threads N] [--gradcheck [--seed N] [--repeats N]] [--json]',
  options: {
    backend: { type: 'string' },
    threads: { type: 'string' },
    gradcheck: { type: 'boolean' },
    seed: { type: 'string' },
    repeats: { type: 'string' },
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
    // Every op a training step needs, on this backend against the pure-JS reference.
    if (!io.json) io.out('');
    const results = await runGradcheck({ seed: int('seed', 20261126), repeats: Math.max(1, int('repeats', 3)) });
    if (!io.json) for (const line of formatGradcheckTable(results)) io.out(line);
    const failed = results.filter((r) => !r.ok).length;
    return {
      ...status,
      gradcheck: { backend: status.backend, reference: 'cpu', passed: results.length - failed, failed, results },
      ...(failed > 0 ? { exitCode: 1 } : {}),
    };
  },
};
