/**
 * The GL-MAE student/teacher pair and one optimisation step (ALGORITHMS.md):
 *   student: ViT encoder on masked views + MAE decoder + projection head (+ an optional predictor);
 *   teacher: EMA copy of the student's encoder + projection head, on unmasked global views;
 *   loss = rec_global + rec_local + lambda_g2g * L_g2g + lambda_l2g * L_l2g.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../../engine/tensorReads';
import { ParamStore } from '../../networks/vit3dParams';
import { Vit3dEncoder, meanToken } from '../../networks/vit3d';
import { MaeDecoder3d } from '../../networks/vit3dMae';
import { declareDense, dense, gelu } from '../../networks/vit3dBlocks';
import { patchify } from '../../networks/vit3dPatches';
import type { GlmaeOptions } from './options';
import { type GlmaeBatch, globalsTensor, localsTensor } from './batch';
import { maskTensors } from './masking';
import { cosineDistance, maskedReconstructionLoss } from './losses';
import { emaUpdate } from './ema';

export interface GlmaeTerms {
  loss: number;
  recGlobal: number;
  recLocal: number;
  g2g: number;
  l2g: number;
}

/** Parameter prefixes the teacher shares with the student (and EMA-updates). */
export const TEACHER_PREFIXES = ['encoder/', 'proj/'];

function declareProjector(ps: ParamStore, o: GlmaeOptions): void {
  declareDense(ps, 'proj/fc1', o.encoder.embedDim, o.projectionHidden);
  declareDense(ps, 'proj/fc2', o.projectionHidden, o.projectionDim);
}

function project(ps: ParamStore, tokens: tf.Tensor3D): tf.Tensor2D {
  return tf.tidy(() => dense(ps, 'proj/fc2', gelu(dense(ps, 'proj/fc1', meanToken(tokens)))) as tf.Tensor2D);
}

/**
 * Optional student-only predictor on top of the projection (`glmae.predictor`, BYOL-style). The
 * paper has none: the student's projected mean token meets the teacher's directly. Kept as an
 * ablation because the asymmetry can keep an EMA pair from settling on a constant embedding.
 */
function declarePredictor(ps: ParamStore, o: GlmaeOptions): void {
  declareDense(ps, 'pred/fc1', o.projectionDim, o.projectionHidden);
  declareDense(ps, 'pred/fc2', o.projectionHidden, o.projectionDim);
}

function studentEmbedding(ps: ParamStore, tokens: tf.Tensor3D, predictor: boolean): tf.Tensor2D {
  return tf.tidy(() => {
    const z = project(ps, tokens);
    return predictor ? (dense(ps, 'pred/fc2', gelu(dense(ps, 'pred/fc1', z))) as tf.Tensor2D) : z;
  });
}

/**
 * The global-to-global targets: rows 0..B-1 of the teacher's embeddings are the first global view
 * of each volume, rows B..2B-1 the second (batch.ts), so each student row i is paired with the
 * teacher's row of the *other* view of the same volume.
 */
export function otherGlobalView(teacherG: tf.Tensor2D, volumes: number): tf.Tensor2D {
  return tf.tidy(() => tf.concat([tf.slice(teacherG, [volumes, 0], [volumes, -1]), tf.slice(teacherG, [0, 0], [volumes, -1])]) as tf.Tensor2D);
}

/** The local-to-global targets: each local view against the teacher's embedding of the global view that contains it. */
export function parentGlobalView(teacherG: tf.Tensor2D, localParent: readonly number[]): tf.Tensor2D {
  return tf.tidy(() => tf.gather(teacherG, tf.tensor1d([...localParent], 'int32')) as tf.Tensor2D);
}

export class GlmaeModel {
  readonly student: ParamStore;
  readonly teacher: ParamStore;
  readonly encoder: Vit3dEncoder;
  readonly decoder: MaeDecoder3d;
  readonly teacherEncoder: Vit3dEncoder;
  readonly optimizer: tf.Optimizer;

  constructor(readonly o: GlmaeOptions) {
    if (o.encoder.channels !== 1) throw new Error(`GL-MAE takes single-channel volumes (model.channels is ${o.encoder.channels})`);
    this.student = new ParamStore(o.seed);
    this.encoder = new Vit3dEncoder(o.encoder, this.student);
    this.decoder = new MaeDecoder3d(o.decoder, o.encoder, this.student, this.encoder.baseGrid);
    declareProjector(this.student, o);
    if (o.predictor) declarePredictor(this.student, o);
    this.teacher = new ParamStore(o.seed, false);
    this.teacherEncoder = new Vit3dEncoder(o.encoder, this.teacher);
    declareProjector(this.teacher, o);
    this.teacher.assignFrom(new Map(this.student.entries()), { strict: true });
    this.optimizer = tf.train.adam(o.lr);
  }

  /** The loss terms as tensors (student side differentiable); teacher targets come in as constants. */
  private terms(batch: GlmaeBatch, teacherG: tf.Tensor2D): tf.Tensor1D {
    const p = this.o.encoder.patchSize;
    const g = globalsTensor(batch);
    const gm = maskTensors(batch.globalMask);
    const enc = this.encoder.encode(g, { keep: gm.keep });
    const pred = this.decoder.decode(enc.tokens, gm.keep, enc.grid);
    const recGlobal = maskedReconstructionLoss(pred, patchify(g, p), gm.mask, this.o.target);
    const b = batch.volumes;
    const sG = studentEmbedding(this.student, enc.tokens, this.o.predictor);
    const g2g = cosineDistance(sG, otherGlobalView(teacherG, b));
    let recLocal: tf.Scalar = tf.scalar(0);
    let l2g: tf.Scalar = tf.scalar(0);
    const l = localsTensor(batch);
    if (l && batch.localMask) {
      const lm = maskTensors(batch.localMask);
      const lenc = this.encoder.encode(l, { keep: lm.keep });
      recLocal = maskedReconstructionLoss(this.decoder.decode(lenc.tokens, lm.keep, lenc.grid), patchify(l, p), lm.mask, this.o.target);
      l2g = cosineDistance(studentEmbedding(this.student, lenc.tokens, this.o.predictor), parentGlobalView(teacherG, batch.localParent));
    }
    const loss = tf.addN([recGlobal, recLocal, tf.mul(g2g, this.o.lambdaG2G), tf.mul(l2g, this.o.lambdaL2G)]);
    return tf.stack([loss, recGlobal, recLocal, g2g, l2g]) as tf.Tensor1D;
  }

  /** Teacher embeddings of the unmasked global views [2B, projectionDim] (no gradient). */
  teacherEmbeddings(batch: GlmaeBatch): tf.Tensor2D {
    return tf.tidy(() => {
      const { tokens } = this.teacherEncoder.encode(globalsTensor(batch));
      return project(this.teacher, tokens);
    });
  }

  /** The loss terms of a batch and the student's gradients (the caller applies them, then calls followTeacher). */
  async gradients(batch: GlmaeBatch): Promise<{ terms: GlmaeTerms; grads: tf.NamedTensorMap }> {
    const teacherG = this.teacherEmbeddings(batch);
    let termsT: tf.Tensor1D | undefined;
    const vars = this.student.variables();
    const { value, grads } = tf.variableGrads(() => {
      const t = this.terms(batch, teacherG);
      termsT = tf.keep(t);
      return tf.reshape(tf.slice(t, [0], [1]), []) as tf.Scalar;
    }, vars);
    const terms = await readTerms(termsT!).finally(() => tf.dispose([value, teacherG, termsT!]));
    return { terms, grads };
  }

  /** The EMA teacher follows the student (after each update). */
  followTeacher(): void {
    emaUpdate(this.teacher, this.student, this.o.emaMomentum, TEACHER_PREFIXES);
  }

  /** One step with the model's own Adam (tests; runs train through the shared trainer). */
  async step(batch: GlmaeBatch): Promise<GlmaeTerms> {
    const { terms, grads } = await this.gradients(batch);
    this.optimizer.applyGradients(grads);
    tf.dispose(Object.values(grads));
    this.followTeacher();
    return terms;
  }

  /** Loss terms without an update (validation). */
  async evaluate(batch: GlmaeBatch): Promise<GlmaeTerms> {
    const teacherG = this.teacherEmbeddings(batch);
    const t = tf.tidy(() => this.terms(batch, teacherG));
    return readTerms(t).finally(() => tf.dispose([t, teacherG]));
  }

  dispose(): void {
    this.student.dispose();
    this.teacher.dispose();
    this.optimizer.dispose();
  }
}

async function readTerms(t: tf.Tensor1D): Promise<GlmaeTerms> {
  const [loss, recGlobal, recLocal, g2g, l2g] = Array.from(await readFloats(t));
  return { loss: loss!, recGlobal: recGlobal!, recLocal: recLocal!, g2g: g2g!, l2g: l2g! };
}
