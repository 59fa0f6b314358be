/**
 * High-resolution fine-tuning: train small, then fine-tune at a larger input size. The ResNet is
 * fully convolutional up to global pooling, so every weight keeps its shape across input sizes
 * and transfers by name (the number of stages must stay the same: pass `stages` explicitly).
 */
import type * as tfl from '@tensorflow/tfjs-layers';

/** Copies every weight of `from` into the same-named weight of `to`; throws on a missing or misshapen one. */
export function transferWeights(from: tfl.LayersModel, to: tfl.LayersModel): void {
  const src = new Map(from.weights.map((w) => [w.originalName, w]));
  const values = to.weights.map((w) => {
    const s = src.get(w.originalName);
    if (!s) throw new Error(`cannot fine-tune at the new size: weight '${w.originalName}' has no counterpart`);
    if (s.shape.join('x') !== w.shape.join('x')) throw new Error(`cannot fine-tune at the new size: '${w.originalName}' is ${s.shape.join('x')}, needs ${w.shape.join('x')}`);
    return s.read();
  });
  to.setWeights(values);
}
