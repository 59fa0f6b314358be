/**
 * Learned position embeddings live on the training grid; other input sizes (local views,
 * fine-tuning at another size) get them by trilinear interpolation, as in the GL-MAE reference
 * (F.interpolate(..., mode='trilinear', align_corners=False)). Separable: the 3D interpolation
 * matrix is the Kronecker product of three 1D ones, applied as one matMul (differentiable).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Grid3 } from './vit3dPatches';
import { linearInterpMatrix } from '../transforms/interpMatrix';

export { linearInterpMatrix };

/** [prod(to), prod(from)] trilinear interpolation matrix over raster-ordered grids. */
export function trilinearInterpMatrix(from: Grid3, to: Grid3): tf.Tensor2D {
  const [md, mh, mw] = [0, 1, 2].map((a) => linearInterpMatrix(from[a]!, to[a]!)) as [Float32Array, Float32Array, Float32Array];
  const nTo = to[0] * to[1] * to[2];
  const nFrom = from[0] * from[1] * from[2];
  const out = new Float32Array(nTo * nFrom);
  for (let d = 0; d < to[0]; d++)
    for (let h = 0; h < to[1]; h++)
      for (let w = 0; w < to[2]; w++) {
        const row = ((d * to[1] + h) * to[2] + w) * nFrom;
        for (let sd = 0; sd < from[0]; sd++) {
          const a = md[d * from[0] + sd]!;
          if (a === 0) continue;
          for (let sh = 0; sh < from[1]; sh++) {
            const b = a * mh[h * from[1] + sh]!;
            if (b === 0) continue;
            for (let sw = 0; sw < from[2]; sw++) out[row + (sd * from[1] + sh) * from[2] + sw] = b * mw[w * from[2] + sw]!;
          }
        }
      }
  return tf.tensor2d(out, [nTo, nFrom]);
}

/** Position embeddings [N_to, E] for grid `to`, from learned ones [N_from, E] on grid `from`. */
export function interpolatePosEmbed(pos: tf.Tensor2D, from: Grid3, to: Grid3): tf.Tensor2D {
  if (from[0] === to[0] && from[1] === to[1] && from[2] === to[2]) return tf.clone(pos);
  return tf.tidy(() => tf.matMul(trilinearInterpMatrix(from, to), pos));
}
