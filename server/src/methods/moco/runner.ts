/**
 * `method: moco` — MoCo-v2 self-supervised training of an encoder (the teacher DisCo distils).
 * model.backbone picks `resnet` (default) or `mobilenet`; model.hidden the MLP head's hidden
 * width (default: the encoder's feature width, as MoCo-v2).
 */
import type { Experiment } from '../../experiment/types';
import type { EvalMetrics } from '../../protocol';
import * as path from 'node:path';
// runs/index imports the method registry: import its modules directly (no cycle).
import { loadModel, readModelMetadata } from '../../runs/modelIo';
import type { MethodRunner, RunContext } from '../../training/types';
import type { NetSpec } from './contrastiveNet';
import { loadContrastiveData, type DataLoader } from './data';
import type { EncoderKind } from './encoders';
import { probeReport } from './evaluate';
import { trainContrastive } from './trainContrastive';
import { ENCODER_DIR, type EncoderMetadata } from './savedModel';

export function encoderKind(e: Experiment, key: 'model.backbone' | 'disco.student', value: string | undefined): EncoderKind {
  const v = value ?? 'resnet';
  if (v !== 'resnet' && v !== 'mobilenet') throw new Error(`${e.file}: ${key} '${v}' cannot be trained with ${e.method}; use resnet or mobilenet`);
  return v;
}

export function mocoSpec(e: Experiment, channels: number): NetSpec {
  return {
    kind: encoderKind(e, 'model.backbone', e.model.backbone),
    inputSize: e.model.inputSize,
    channels,
    width: e.model.width,
    depth: e.model.depth,
    projectionDim: e.model.projectionDim,
    hidden: e.model.hidden,
  };
}

/** Probe evaluation of a finished moco/disco run's encoder on an experiment's data. */
export async function evaluateEncoderRun(runDir: string, experiment: Experiment, ctx: Omit<RunContext, 'resuming'>, load: DataLoader): Promise<EvalMetrics> {
  const dir = path.join(runDir, ENCODER_DIR);
  const meta = (await readModelMetadata(dir)) as Partial<EncoderMetadata>;
  const encoder = await loadModel(dir);
  try {
    const data = await load(experiment);
    const r = await probeReport(encoder, data, meta.inputSize ?? experiment.model.inputSize, experiment.train.epochs, experiment.train.seed);
    ctx.metrics(r.test);
    return r.test;
  } finally {
    encoder.dispose();
  }
}

export function createMocoRunner(load: DataLoader = loadContrastiveData): MethodRunner {
  return {
    method: 'moco',
    async train(ctx) {
      const data = await load(ctx.experiment);
      return trainContrastive(ctx, { method: 'moco', spec: mocoSpec(ctx.experiment, data.shape.channels) }, data);
    },
    evaluate: (runDir, experiment, ctx) => evaluateEncoderRun(runDir, experiment, ctx, load),
  };
}

export const mocoRunner = createMocoRunner();
