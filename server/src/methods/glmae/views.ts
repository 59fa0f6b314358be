/**
 * GL-MAE's views of one volume (ALGORITHMS.md): global views are large random crops
 * (`globalScale` of each side) resized to the network input; local views are small crops
 * (`localSize` voxels) at native resolution, taken inside a global view's crop, so the teacher's
 * embedding of that global view is their correspondence target. Two global views per volume:
 * the global-to-global loss pairs each masked one with the other, unmasked one.
 */
import type { Rng } from '../../transforms/rng';
import { type Volume, cropBox, resampleBox } from './volume';

export interface Box3 {
  start: [number, number, number];
  size: [number, number, number];
}

export interface VolumeViews {
  globals: [Float32Array, Float32Array];
  globalBoxes: [Box3, Box3];
  locals: Float32Array[];
  localBoxes: Box3[];
  /** Which global view (0 or 1) contains each local view. */
  localParent: number[];
}

export interface ViewOptions {
  inputSize: number;
  globalScale: number;
  localViews: number;
  localSize: number;
}

function randomBox(rng: Rng, dims: readonly number[], size: readonly number[], within?: Box3): Box3 {
  const lo = within?.start ?? [0, 0, 0];
  const extent = within?.size ?? dims;
  const start = [0, 1, 2].map((a) => {
    const room = Math.max(0, extent[a]! - size[a]!);
    return Math.min(lo[a]! + rng.int(room + 1), dims[a]! - size[a]!);
  }) as [number, number, number];
  return { start, size: [...size] as [number, number, number] };
}

export function makeViews(v: Volume, rng: Rng, o: ViewOptions): VolumeViews {
  if (v.dims.some((d) => d < o.localSize)) {
    throw new Error(`a ${v.dims.join('x')} volume is smaller than the local view size ${o.localSize}`);
  }
  const gSize = v.dims.map((d) => Math.max(o.localSize, Math.round(d * o.globalScale))) as [number, number, number];
  const globalBoxes = [randomBox(rng, v.dims, gSize), randomBox(rng, v.dims, gSize)] as [Box3, Box3];
  const out = [o.inputSize, o.inputSize, o.inputSize];
  const globals = globalBoxes.map((b) => resampleBox(v, b.start, b.size, out)) as [Float32Array, Float32Array];
  const locals: Float32Array[] = [];
  const localBoxes: Box3[] = [];
  const localParent: number[] = [];
  const lSize = [o.localSize, o.localSize, o.localSize];
  for (let i = 0; i < o.localViews; i++) {
    const parent = i % 2;
    const box = randomBox(rng, v.dims, lSize, globalBoxes[parent]);
    locals.push(cropBox(v, box.start, box.size));
    localBoxes.push(box);
    localParent.push(parent);
  }
  return { globals, globalBoxes, locals, localBoxes, localParent };
}
