/**
 * `npm run bench -- disco [--json] [--data breastmnist|samples] [--seeds N] [--teacher-epochs N] [--student-epochs N] [--threads N]`
 *
 * DisCo's claim, by default on real data (BreastMNIST from ../shared/data/real; `--data samples`
 * for the generated skin-lesion samples): linear-probe and k-NN accuracy (frozen features, test
 * split) of a lightweight MobileNet-style student trained with MoCo-v2 alone, distilled with
 * DisCo from a MoCo-v2 ResNet teacher, and distilled without the enlarged embedding (the
 * student's own head width instead of 2048), over several seeds, next to the teacher and an
 * untrained student; paired differences per seed; parameter counts, the student's share of the
 * teacher's parameters and inference time per image. One teacher (seed 1) serves every seed.
 * Sized for ~10-15 minutes on 2 CPU cores (wasm); every figure names its backend and data.
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
import { mean, sd } from './stats';

const LABELS = path.join(__dirname, '..', 'samples', 'skin-lesions', 'labels.csv');
const BREASTMNIST = path.resolve(__dirname, '..', '..', 'shared', 'data', 'real', 'breastmnist', 'breastmnist.npz');
const DATA: Record<string, { file: string; yaml: string; what: string; size: number }> = {
  breastmnist: { file: BREASTMNIST, yaml: `data: { format: npz, path: ${BREASTMNIST} }`, what: 'BreastMNIST (real ultrasound, 28 px, benign+normal vs malignant)', size: 28 },
  samples: { file: LABELS, yaml: `data: { format: csv, path: ${LABELS} }`, what: 'samples/skin-lesions (generated)', size: 32 },
};
const TEACHER = { backbone: 'resnet', width: 8, depth: 1 } as const;
const STUDENT = { kind: 'mobilenet', width: 8, depth: 1 } as const;

function arg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

function experiment(tmp: string, dataYaml: string, body: string): Experiment {
  const yaml = `${dataYaml}\n${body}`;
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

const pct = (x: number) => (100 * x).toFixed(1);

const bench: Bench = async (io) => {
  const seeds = arg(io.args, '--seeds', 3);
  const teacherEpochs = arg(io.args, '--teacher-epochs', 20);
  const studentEpochs = arg(io.args, '--student-epochs', 10);
  const di = io.args.indexOf('--data');
  const dataName = di >= 0 ? io.args[di + 1]! : 'breastmnist';
  const source = DATA[dataName];
  if (!source) throw new Error(`--data ${dataName}: choose ${Object.keys(DATA).join(' or ')}`);
  if (!fs.existsSync(source.file)) {
    throw new Error(dataName === 'samples' ? `${source.file} is missing: run 'npm run samples' first` : `${source.file} is missing: the real-data benchmark needs ../shared/data/real (CI has it, a fresh clone does not); use --data samples for the generated set`);
  }
  const SIZE = source.size;
  // One wasm thread by default: the machine's cores are shared, and the threaded build's workers
  // keep the process alive after the bench returns.
  const compute = await ensureBackend({ threads: arg(io.args, '--threads', 1) });
  const backend = compute.backend;
  io.log(`DisCo on ${source.what} at ${SIZE} px, backend ${backend} (${compute.device})`);
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
  const teacherExp = experiment(tmp, source.yaml, `method: moco\nmodel: { backbone: ${TEACHER.backbone}, width: ${TEACHER.width}, depth: ${TEACHER.depth}, inputSize: ${SIZE}, projectionDim: 64 }\n${common(1, teacherEpochs)}`);
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
    const ownWidth = rand.featureDim;
    const [r0, s0] = await timed(() => probeReport(rand.model, data, SIZE, 0, seed));
    rand.model.dispose();
    record('student, untrained', seed, r0.test, s0);
    const student = `model: { width: ${STUDENT.width}, depth: ${STUDENT.depth}, inputSize: ${SIZE}, projectionDim: 64`;
    const mocoExp = experiment(tmp, source.yaml, `method: moco\n${student}, backbone: ${STUDENT.kind} }\n${common(seed, studentEpochs)}`);
    const [moco, s1] = await timed(() => createMocoRunner(load).train(ctxFor(mocoExp, `moco-${seed}`)));
    record('student, MoCo-v2 alone', seed, moco.test!, s1);
    const discoExp = experiment(tmp, source.yaml, `method: disco\nteacher: ${path.join(tmp, 'teacher')}\n${student}, hidden: 2048 }\n${common(seed, studentEpochs)}`);
    const [disco, s2] = await timed(() => createDiscoRunner(load).train(ctxFor(discoExp, `disco-${seed}`)));
    record('student, DisCo', seed, disco.test!, s2);
    // The "distilling bottleneck" ablation: the same distillation through the student's own head width.
    const narrowExp = experiment(tmp, source.yaml, `method: disco\nteacher: ${path.join(tmp, 'teacher')}\n${student}, hidden: ${ownWidth} }\n${common(seed, studentEpochs)}`);
    const [narrow, s3] = await timed(() => createDiscoRunner(load).train(ctxFor(narrowExp, `disco-narrow-${seed}`)));
    record('student, DisCo, no enlarged embedding', seed, narrow.test!, s3);
  }
  const paired = (a: string, b: string) => {
    const d = Array.from({ length: seeds }, (_, i) => {
      const ra = rows.find((r) => r.model === a && r.seed === i + 1)!;
      const rb = rows.find((r) => r.model === b && r.seed === i + 1)!;
      return ra.linearProbe - rb.linearProbe;
    });
    return { comparison: `${a} - ${b}`, linearProbeDiffMean: mean(d), linearProbeDiffSd: sd(d), perSeed: d, backend, data: dataName };
  };
  const differences = [paired('student, DisCo', 'student, MoCo-v2 alone'), paired('student, DisCo', 'student, DisCo, no enlarged embedding')];

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
      data: dataName,
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
  for (const d of differences) io.log(`paired (same seed) linear-probe difference, ${d.comparison}: ${pct(d.linearProbeDiffMean)} ± ${pct(d.linearProbeDiffSd)} points (per seed: ${d.perSeed.map(pct).join(', ')})`);
  io.log(`majority class share of the test split: ${pct(Math.max(...data.classes.map((_, c) => data.test.labels.filter((l) => l === c).length)) / data.test.labels.length)}%`);
  fs.rmSync(tmp, { recursive: true, force: true });
  return { bench: 'disco', backend, device: compute.device, data: dataName, inputSize: SIZE, seeds, teacherEpochs, studentEpochs, summary, differences, rows };
};

export default bench;
