/**
 * WebGPU reports a kernel whose shader fails validation as an event, not an exception: the
 * dispatch is dropped and the output holds whatever the buffer held. So the device's errors are
 * watched, and every read of a result (engine/tensorReads.ts: each training step reads its loss)
 * throws once one has happened, rather than train on garbage.
 */

let first: string | undefined;

interface WatchedDevice {
  addEventListener?(type: 'uncapturederror', listener: (e: { error: { message: string } }) => void): void;
  lost?: Promise<{ message: string }>;
}

export function watchGpuErrors(device: WatchedDevice): void {
  device.addEventListener?.('uncapturederror', (e) => {
    first ??= e.error.message;
  });
  void device.lost?.then((info) => {
    first ??= `the GPU device was lost: ${info.message}`;
  });
}

/** Throws if the GPU has rejected any work in this process. */
export function throwIfGpuFailed(): void {
  if (first === undefined) return;
  const line = first.split('\n').find((l) => l.trim()) ?? first;
  throw new Error(`the GPU rejected a kernel (WebGPU: ${line.trim()}); results computed since are invalid, so the run stops. Run 'medstudio doctor --gradcheck --backend webgpu' and report it, or set the backend to wasm`);
}
