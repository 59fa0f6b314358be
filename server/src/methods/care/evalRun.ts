/** Evaluates a finished classifier run on the test split of an experiment's data (`medstudio eval`). */
import * as path from 'node:path';
import type { Experiment } from '../../experiment/types';
import type { EvalMetrics } from '../../protocol';
import { wrapClassifier } from '../../networks/resnet';
import { loadModel, readModelMetadata } from '../../runs/modelIo';
import { RUN_FILES } from '../../runs/runDir';
import { openClassificationData } from './dataset';
import { evaluateSplit } from './evaluate';

interface ClassifierMeta {
  classes: string[];
  inputSize: number;
  channels: number;
  width: number;
  depth: number;
  stages?: number;
}

export async function evaluateRun(runDir: string, exp: Experiment): Promise<EvalMetrics> {
  const dir = path.join(runDir, RUN_FILES.model);
  const meta = (await readModelMetadata(dir)).medstudio as ClassifierMeta | undefined;
  if (!meta?.classes) throw new Error(`${dir}: not a MedStudio classifier (model.json has no medstudio.classes)`);
  const ds = await openClassificationData({ ...exp, model: { ...exp.model, inputSize: meta.inputSize } }, { boxes: false });
  if (ds.classes.join('\n') !== meta.classes.join('\n')) {
    throw new Error(`${exp.file}: the data's classes (${ds.classes.join(', ')}) differ from the model's (${meta.classes.join(', ')})`);
  }
  const model = await loadModel(dir);
  const net = wrapClassifier(model, { ...meta, numClasses: meta.classes.length });
  try {
    const { metrics } = await evaluateSplit(net, ds, 'test', 0, { batchSize: exp.train.batchSize, tta: exp.longtail.tta });
    return metrics;
  } finally {
    net.dispose();
  }
}
