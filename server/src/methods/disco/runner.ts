/**
 * `method: disco` — DisCo: a lightweight student (disco.student: `mobilenet` default, or a small
 * `resnet`; width/depth from model.*) trained as MoCo-v2 plus the MSE consistency with the frozen
 * teacher of `teacher: <moco run dir>` (or a runs folder: its newest finished moco run). The head's hidden layer is the "Distilling Bottleneck":
 * model.hidden, default 2048 as in the reference. disco.infoNCE: false trains on the MSE only.
 */
import type { MethodRunner } from '../../training/types';
import { disposeNet } from '../moco/contrastiveNet';
import { loadContrastiveData, type DataLoader } from '../moco/data';
import { encoderKind, evaluateEncoderRun } from '../moco/runner';
import { loadContrastiveNet, resolveTeacherRun } from '../moco/savedModel';
import { trainContrastive } from '../moco/trainContrastive';
import { freeze } from './teacher';

export const DISTILLING_BOTTLENECK = 2048;

export function createDiscoRunner(load: DataLoader = loadContrastiveData): MethodRunner {
  return {
    method: 'disco',
    async train(ctx) {
      const e = ctx.experiment;
      if (!e.teacher) throw new Error(`${e.file}: method disco needs 'teacher: <run dir>' (a finished moco run)`);
      const teacherDir = resolveTeacherRun(e.teacher);
      const data = await load(e);
      const { net, meta } = await loadContrastiveNet(teacherDir);
      try {
        freeze(net);
        if (meta.projectionDim !== e.model.projectionDim) {
          throw new Error(`${e.file}: model.projectionDim ${e.model.projectionDim} differs from the teacher's ${meta.projectionDim} (${teacherDir}); set it to ${meta.projectionDim}`);
        }
        if (meta.channels !== data.shape.channels) throw new Error(`${e.file}: the teacher takes ${meta.channels}-channel images, the data has ${data.shape.channels}`);
        const spec = {
          kind: encoderKind(e, 'disco.student', e.disco.student),
          inputSize: e.model.inputSize,
          channels: data.shape.channels,
          width: e.model.width,
          depth: e.model.depth,
          projectionDim: e.model.projectionDim,
          hidden: e.model.hidden ?? DISTILLING_BOTTLENECK,
        };
        ctx.log(`teacher: ${teacherDir} (${meta.backbone}, ${net.encoder.countParams()} encoder parameters), student: ${spec.kind}`);
        return await trainContrastive(ctx, { method: 'disco', spec, teacher: { net, inputSize: meta.inputSize, name: teacherDir } }, data);
      } finally {
        disposeNet(net);
      }
    },
    evaluate: (runDir, experiment, ctx) => evaluateEncoderRun(runDir, experiment, ctx, load),
  };
}

export const discoRunner = createDiscoRunner();
