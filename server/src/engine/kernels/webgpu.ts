/**
 * Fixes registered on webgpu when it is selected: what tfjs-backend-webgpu 4.22 lacks for
 * MedStudio's networks (each file says why). Returns the kernels replaced.
 */
import { registerWebgpuBinaryFix } from './webgpuBinary';
import { registerWebgpuTranspose } from './webgpuTranspose';

export function registerWebgpuKernels(): string[] {
  registerWebgpuTranspose();
  const binary = registerWebgpuBinaryFix();
  return ['Transpose (rank > 6)', ...(binary.length ? ['binary ops on rank 5+ with a channel vector'] : [])];
}
