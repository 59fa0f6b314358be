import { ensureBackend } from '../../engine/backend';
import { formatComputeStatus } from '../../engine/formatStatus';
import type { CliCommand } from '../types';

export const doctor: CliCommand = {
  name: 'doctor',
  summary: 'show the compute backend MedStudio picks here, and why not a better one',
  usage: 'medstudio doctor [--backend auto|tensorflow-gpu|tensorflow|webgpu|wasm|cpu] [--json]',
  options: { backend: { type: 'string' } },
  async run({ values }, io) {
    const status = await ensureBackend({ backend: (values.backend as never) ?? 'auto' });
    if (!io.json) for (const line of formatComputeStatus(status)) io.out(line);
    return status;
  },
};
