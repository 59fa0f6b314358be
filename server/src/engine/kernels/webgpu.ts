/**
 * Fixes registered on webgpu when it is selected: what tfjs-backend-webgpu 4.22 lacks for
 * MedStudio's networks (each file says why). Returns the kernels replaced.
 */
import { registerWebgpuTranspose } from './webgpuTranspose';

export function registerWebgpuKernels(): string[] {
  registerWebgpuTranspose();
  return ['Transpose (rank > 6)'];
}
