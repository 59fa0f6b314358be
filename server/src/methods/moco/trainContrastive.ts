/**
 * The MoCo-v2 training loop, shared by `method: moco` (a teacher) and `method: disco` (a student
 * distilled from a frozen teacher), on the shared trainer: steps (step.ts), a k-NN validation
 * every epoch, checkpoints (models, optimiser, queue, position) that resume exactly, then the
 * saved encoder and head and the probe evaluation on the test split.
 *
 * Randomness derives from (train.seed, epoch, step): the shuffle of an epoch and the views of a
 * step are the same whether or not the run was interrupted in between.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { writeFileAtomic } from '../../data/atomicWrite';
import { kernelVariables, makeOptimizer } from '../../training/optim';
import { train, type OpenPhase } from '../../training/trainer';
import { createRng, deriveSeed } from '../../transforms/rng';
import type { RunContext, RunResult } from '../../training/types';
import { teacherEmbed } from '../disco/teacher';
import { defaultAugmentOptions } from './augment';
import { twoViews } from './batches';
import { buildContrastiveNet, disposeNet, type ContrastiveNet, type NetSpec } from './contrastiveNet';
import type { ContrastiveData } from './data';
import { knnMetrics, probeReport } from './evaluate';
import { copyWeights, trainableVariables } from './momentum';
import { NegativeQueue } from './queue';
import { decodeQueue, encodeQueue, type EncodedQueue } from './queueCodec';
import { saveContrastiveNet, ENCODER_DIR, PROJECTION_DIR, type EncoderMetadata } from './savedModel';
import { contrastiveGradients, type ContrastiveState, type TeacherTargets } from './step';

export interface ContrastivePlan {
  method: 'moco' | 'disco';
  spec: NetSpec;
  /** DisCo: the frozen teacher (already frozen) and its input size. */
  teacher?: { net: ContrastiveNet; inputSize: number; name: string };
}

/** Sub-batches with their own BatchNorm statistics for the keys (see shuffleBN.ts). */
const SHUFFLE_GROUPS = 2;
const PROBE_FILE = 'probe.json';

export async function trainContrastive(ctx: RunContext, plan: ContrastivePlan, data: ContrastiveData): Promise<RunResult> {
  const e = ctx.experiment;
  const { spec } = plan;
  const seed = e.train.seed;
  const B = e.train.batchSize;
  const n = data.train.images.length;
  const steps = Math.floor(n / B);
  if (steps === 0) throw new Error(`${e.file}: train.batchSize ${B} is larger than the ${n} training images`);
  if (e.disco.infoNCE && e.disco.queueSize < B) throw new Error(`${e.file}: disco.queueSize ${e.disco.queueSize} must be at least train.batchSize ${B}`);

  if (e.disco.infoNCE && e.disco.queueSize > n - B) {
    ctx.log(`disco.queueSize ${e.disco.queueSize} is more than the ${n} training images minus a batch: the queue will hold keys of the very images it contrasts (false negatives); consider ${Math.max(B, Math.floor((n - B) / B) * B)}`);
  }
  const query = buildContrastiveNet(spec, '', seed);
  const key = buildContrastiveNet(spec, 'key_', seed);
  copyWeights(query.encoder, key.encoder);
  copyWeights(query.head, key.head);
  const state: ContrastiveState = {
    query,
    key,
    queue: new NegativeQueue(e.disco.queueSize, spec.projectionDim, createRng(deriveSeed(seed, 0x51e))),
    // The trainer applies the updates with its own optimiser; this one serves contrastiveStep's callers.
    optimizer: makeOptimizer(e.train, e.train.lr),
    queryVars: trainableVariables([query.encoder, query.head]),
    keyVars: trainableVariables([key.encoder, key.head]),
  };
  const aug = defaultAugmentOptions(spec.inputSize);
  const E = e.train.epochs;
  let order: number[] = [];
  // A batch is its step index: the views are drawn from (seed, epoch, step) only for the steps that run.
  const phase: OpenPhase<number> = {
    parts: { models: { encoder: query.encoder, head: query.head, key_encoder: key.encoder, key_head: key.head } },
    decayed: kernelVariables([...query.encoder.trainableWeights, ...query.head.trainableWeights]),
    batches: (epoch) => {
      order = createRng(deriveSeed(seed, epoch + 1)).shuffle(Array.from({ length: n }, (_, i) => i));
      return { steps, iterate: Array.from({ length: steps }, (_, i) => i), dispose: () => undefined };
    },
    step: async (step, s) => {
      const rng = createRng(deriveSeed(deriveSeed(seed, s.epoch + 1), step + 1));
      const { q, k } = twoViews(data.train, data.shape, order.slice(step * B, (step + 1) * B), spec.inputSize, rng, aug);
      const targets = plan.teacher ? teacherTargets(plan.teacher, q, k) : undefined;
      try {
        const l = await contrastiveGradients(state, q, k, { temperature: e.disco.temperature, keyMomentum: e.disco.keyMomentum, infoNCE: e.disco.infoNCE, shuffleGroups: SHUFFLE_GROUPS, weightDecay: e.train.weightDecay, lr: s.lr }, rng, targets);
        const parts: Record<string, number> = { ...(l.infoNCE !== undefined ? { infoNCE: l.infoNCE } : {}), ...(l.distill !== undefined ? { distill: l.distill } : {}) };
        return { loss: l.loss, grads: l.grads, parts };
      } finally {
        tf.dispose([q, k, ...(targets ? [targets.q, targets.k] : [])]);
      }
    },
    endEpoch: async (sum) => {
      const val = data.val.images.length ? await knnMetrics(query.encoder, data, 'val', spec.inputSize, sum.reportedEpoch) : { split: 'val' as const, epoch: sum.reportedEpoch };
      return {
        ...val,
        loss: sum.trainLoss,
        extra: { lr: sum.lr, ...(e.disco.infoNCE ? { infoNCE: sum.parts.infoNCE ?? 0 } : {}), ...(plan.teacher ? { distill: sum.parts.distill ?? 0 } : {}), knnAccuracy: val.accuracy ?? 0 },
      };
    },
    state: async () => ({ queue: await encodeQueue(state.queue) }),
    restore: (st) => {
      if (st.queue) state.queue.restore(decodeQueue(st.queue as EncodedQueue));
    },
  };

  try {
    const done = await train(ctx, [{ name: 'main', epochs: E, epochOffset: 0, open: async () => phase }]);
    if (!done) return { artifacts: {} };

    const meta: EncoderMetadata = {
      kind: 'self-supervised-encoder',
      method: plan.method,
      backbone: spec.kind,
      inputSize: spec.inputSize,
      channels: spec.channels,
      featureDim: query.encoder.outputs[0]!.shape[1] as number,
      featureLayer: query.encoder.layers[query.encoder.layers.length - 1]!.name,
      projectionDim: spec.projectionDim,
      inputRange: [0, 1],
    };
    await saveContrastiveNet(ctx.runDir, query, meta);
    const others = plan.teacher ? [{ name: 'teacher', encoder: plan.teacher.net.encoder, inputSize: plan.teacher.inputSize }] : [];
    const report = await probeReport(query.encoder, data, spec.inputSize, E, seed, others);
    ctx.metrics(report.test);
    await writeFileAtomic(
      path.join(ctx.runDir, PROBE_FILE),
      JSON.stringify({ backend: ctx.compute.backend, device: ctx.compute.device, linear: report.test, knn: report.knn, cost: report.cost, ...(plan.teacher ? { teacher: plan.teacher.name } : {}) }, null, 2) + '\n',
    );
    ctx.log(
      `linear probe ${(report.test.accuracy! * 100).toFixed(1)}% (balanced ${(report.test.balancedAccuracy! * 100).toFixed(1)}%), k-NN ${(report.knn.accuracy! * 100).toFixed(1)}%, ` +
        report.cost.map((r) => `${r.name} ${r.params} params ${r.msPerImage.toFixed(2)} ms/image`).join(', ') +
        ` [${ctx.compute.backend}]`,
    );
    return { test: report.test, artifacts: { model: ENCODER_DIR, projection: PROJECTION_DIR, probe: PROBE_FILE } };
  } finally {
    disposeNet(query);
    disposeNet(key);
    state.queue.dispose();
    state.optimizer.dispose();
  }
}

/** The frozen teacher's embeddings of both views, at the teacher's own input size. */
function teacherTargets(t: NonNullable<ContrastivePlan['teacher']>, q: tf.Tensor4D, k: tf.Tensor4D): TeacherTargets {
  const at = (x: tf.Tensor4D) => (x.shape[1] === t.inputSize ? x : tf.image.resizeBilinear(x, [t.inputSize, t.inputSize]));
  return tf.tidy(() => ({ q: teacherEmbed(t.net, at(q), true), k: teacherEmbed(t.net, at(k), true) }));
}
