/**
 * `method: segment2d` — 2D segmentation on image + mask pairs with a U-Net (train.ts); evaluation
 * scores a finished run's model on the test split of (possibly another) experiment's images.
 */
import type { EvalMetrics } from '../../protocol';
import type { MethodRunner } from '../../training/types';
import { loadSegment2dModel } from './model';
import { scoreSamples } from './score';
import { openSegment2dData, trainSegment2d } from './train';

export const segment2dRunner: MethodRunner = {
  method: 'segment2d',
  train: trainSegment2d,
  async evaluate(runDir, experiment, ctx): Promise<EvalMetrics> {
    const m = loadSegment2dModel(runDir);
    try {
      // The run's input size, channels and classes, whatever the experiment says.
      const exp = { ...experiment, model: { ...experiment.model, inputSize: m.meta.inputSize, channels: m.meta.unet.channels }, data: { ...experiment.data, classes: m.meta.classes } };
      const ds = await openSegment2dData(exp);
      const test = ds.split('test');
      const extra = await scoreSamples(m, ds, test, ctx.signal);
      ctx.log(`test (${test.length} images): Dice ${extra.meanDice?.toFixed(3)}, HD95 ${extra.meanHD95?.toFixed(1)} px`);
      return { split: 'test', epoch: 0, classes: m.meta.classes, extra };
    } finally {
      m.dispose();
    }
  },
};
