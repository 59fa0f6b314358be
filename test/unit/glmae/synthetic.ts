/** Tiny synthetic CT-like volumes for the GL-MAE tests: smooth background plus bright blobs. */
import { createRng } from '../../../server/src/transforms/rng';
import type { Volume } from '../../../server/src/methods/glmae/volume';

export function syntheticVolume(seed: number, side = 24): Volume {
  const rng = createRng(seed);
  const blobs = Array.from({ length: 3 }, () => ({ c: [rng.uniform(4, side - 4), rng.uniform(4, side - 4), rng.uniform(4, side - 4)], r: rng.uniform(2, 5) }));
  const data = new Float32Array(side ** 3);
  let k = 0;
  for (let z = 0; z < side; z++)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        let v = 0.2 * Math.sin(z / 5) + 0.1 * Math.cos(y / 7) + 0.05 * rng.normal();
        for (const b of blobs) {
          const d2 = (z - b.c[0]!) ** 2 + (y - b.c[1]!) ** 2 + (x - b.c[2]!) ** 2;
          v += Math.exp(-d2 / (2 * b.r * b.r));
        }
        data[k++] = v;
      }
  return { data, dims: [side, side, side] };
}
