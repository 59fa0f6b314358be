/**
 * `npm run bench -- disco [--json] [--seeds N] [--teacher-epochs N] [--student-epochs N] [--threads N]`
 *
 * DisCo's claim on the generated skin-lesion samples: linear-probe accuracy (frozen features,
 * test split) of a lightweight MobileNet-style student trained with MoCo-v2 alone vs distilled
 * with DisCo from a MoCo-v2 ResNet teacher, over several seeds, next to the teacher and an
 * untrained student; with parameter counts, the student's share of the teacher's parameters and
 * inference time per image. One teacher (seed 1) serves every seed's DisCo student.
 * Sized for ~10-15 minutes on 2 CPU cores (wasm); every figure names its backend.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { parseExperiment } from '../server/src/experiment/parse';
import type { Experiment } from '../server/src/experiment/types';
import type { EvalMetrics } from '../server/src/protocol';
import type { RunContext } from '../server/src/training/types';
import { createMocoRunner } from '../server/src/methods/moco/runner';
import { createDiscoRunner } from '../server/src/methods/disco/runner';
import { loadContrastiveData, type ContrastiveData } from '../server/src/methods/moco/data';
import { buildEncoder } from '../server/src/methods/moco/encoders';
import { probeReport } from '../server/src/methods/moco/evaluate';

const LABELS = path.join(__dirname, '..', 'samples', 'skin-lesions', 'labels.csv');
const SIZE = 32;
const TEACHER = { backbone: 'resnet', width: 8, depth: 1 } as const;
const STUDENT = { kind: 'mobilenet', width: 8, depth: 1 } as const;

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

function experiment(tmp: string, body: string): Experiment {
  const yaml = `data: { format: csv, path: ${LABELS} }\n${body}`;
  const r = parseExperiment(yaml, path.join(tmp, 'bench.medstudio.yaml'));
  if (!r.experiment) throw new Error(`bench experiment: ${r.problems.map((p) => p.message).join('; ')}`);
  return r.experiment;
}

interface Row {
  model: string;
  seed: number;
  linearProbe: number;
  balancedAccuracy: number;
  knn: number;
  params: number;
  msPerImage: number;
  seconds: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const pct = (x: number) => (100 * x).toFixed(1);

const bench: Bench = async (io) => {
  const seeds = arg(io.args, '--seeds', 3);
  const teacherEpochs = arg(io.args, '--teacher-epochs', 20);
  const studentEpochs = arg(io.args, '--student-epochs', 10);
  if (!fs.existsSync(LABELS)) throw new Error(`${LABELS} is missing: run 'npm run samples' first`);
  // One wasm thread by default: the machine's cores are shared, and the threaded build's workers
  // keep the process alive after the bench returns.
  const compute = await ensureBackend({ threads: arg(io.args, '--threads', 1) });
  const backend = compute.backend;
  io.log(`DisCo on samples/skin-lesions at ${SIZE} px, backend ${backend} (${compute.device})`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-bench-disco-'));
  const ctxFor = (e: Experiment, name: string): RunContext => {
    const runDir = path.join(tmp, name);
    fs.mkdirSync(runDir, { recursive: true });
    return {
      experiment: e,
      runDir,
      runId: name,
      compute,
      signal: new AbortController().signal,
      resuming: false,
      metrics: () => undefined,
      progress: () => undefined,
      log: () => undefined,
    };
  };
  const rows: Row[] = [];
  const record = (model: string, seed: number, t: EvalMetrics, seconds: number) => {
    const row: Row = {
      model,
      seed,
      linearProbe: t.accuracy ?? NaN,
      balancedAccuracy: t.balancedAccuracy ?? NaN,
      knn: t.extra?.knnAccuracy ?? NaN,
      params: t.extra?.params ?? NaN,
      msPerImage: t.extra?.msPerImage ?? NaN,
      seconds,
    };
    rows.push(row);
    io.log(`  ${model.padEnd(22)} seed ${seed}: linear probe ${pct(row.linearProbe)}% (balanced ${pct(row.balancedAccuracy)}%), k-NN ${pct(row.knn)}%, ${row.params} params, ${row.msPerImage.toFixed(3)} ms/image, ${seconds.toFixed(0)} s [${backend}]`);
  };
  const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const r = await f();
    return [r, (performance.now() - t0) / 1000];
  };

  const common = (seed: number, epochs: number) =>
    `train: { epochs: ${epochs}, batchSize: 32, lr: 0.002, optimizer: adam, weightDecay: 0.0001, seed: ${seed} }\n` +
    `disco: { queueSize: 256, temperature: 0.2, keyMomentum: 0.99, student: ${STUDENT.kind} }\n`;
  const teacherExp = experiment(tmp, `method: moco\nmodel: { backbone: ${TEACHER.backbone}, width: ${TEACHER.width}, depth: ${TEACHER.depth}, inputSize: ${SIZE}, projectionDim: 64 }\n${common(1, teacherEpochs)}`);
  const data: ContrastiveData = await loadContrastiveData(teacherExp);
  const load = async () => data;

  io.log(`teacher: MoCo-v2 ${TEACHER.backbone} width ${TEACHER.width}, ${teacherEpochs} epochs`);
  const [teacher, tSecs] = await timed(() => createMocoRunner(load).train(ctxFor(teacherExp, 'teacher')));
  record('teacher (MoCo-v2)', 1, teacher.test!, tSecs);
  const teacherParams = teacher.test!.extra!.params!;

  for (let seed = 1; seed <= seeds; seed++) {
    io.log(`seed ${seed}: students (${STUDENT.kind} width ${STUDENT.width}), ${studentEpochs} epochs`);
    // Untrained student: what the probe gets from a random network (the floor).
    const rand = buildEncoder({ kind: STUDENT.kind, inputSize: SIZE, channels: data.shape.channels, width: STUDENT.width, depth: STUDENT.depth }, '', seed);
    const [r0, s0] = await timed(() => probeReport(rand.model, data, SIZE, 0, seed));
    rand.model.dispose();
    record('student, untrained', seed, r0.test, s0);
    const student = `model: { width: ${STUDENT.width}, depth: ${STUDENT.depth}, inputSize: ${SIZE}, projectionDim: 64`;
    const mocoExp = experiment(tmp, `method: moco\n${student}, backbone: ${STUDENT.kind} }\n${common(seed, studentEpochs)}`);
    const [moco, s1] = await timed(() => createMocoRunner(load).train(ctxFor(mocoExp, `moco-${seed}`)));
    record('student, MoCo-v2 alone', seed, moco.test!, s1);
    const discoExp = experiment(tmp, `method: disco\nteacher: ${path.join(tmp, 'teacher')}\n${student}, hidden: 2048 }\n${common(seed, studentEpochs)}`);
    const [disco, s2] = await timed(() => createDiscoRunner(load).train(ctxFor(discoExp, `disco-${seed}`)));
    record('student, DisCo', seed, disco.test!, s2);
  }

  const models = [...new Set(rows.map((r) => r.model))];
  const summary = models.map((m) => {
    const rs = rows.filter((r) => r.model === m);
    const lp = rs.map((r) => r.linearProbe);
    return {
      model: m,
      runs: rs.length,
      linearProbeMean: mean(lp),
      linearProbeSd: sd(lp),
      balancedAccuracyMean: mean(rs.map((r) => r.balancedAccuracy)),
      knnMean: mean(rs.map((r) => r.knn)),
      params: rs[0]!.params,
      shareOfTeacherParams: rs[0]!.params / teacherParams,
      msPerImage: mean(rs.map((r) => r.msPerImage)),
      backend,
    };
  });
  io.log('');
  io.log(`| model | linear probe (test) | balanced acc. | k-NN | encoder params | share of teacher | ms/image (${backend}) |`);
  io.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const s of summary) {
    io.log(
      `| ${s.model} | ${pct(s.linearProbeMean)}% ± ${pct(s.linearProbeSd)} (n=${s.runs}) | ${pct(s.balancedAccuracyMean)}% | ${pct(s.knnMean)}% | ${s.params} | ${pct(s.shareOfTeacherParams)}% | ${s.msPerImage.toFixed(3)} |`,
    );
  }
  io.log(`majority class share of the test split: ${pct(Math.max(...data.classes.map((_, c) => data.test.labels.filter((l) => l === c).length)) / data.test.labels.length)}%`);
  fs.rmSync(tmp, { recursive: true, force: true });
  return { bench: 'disco', backend, device: compute.device, inputSize: SIZE, seeds, teacherEpochs, studentEpochs, summary, rows };
};

export default bench;
