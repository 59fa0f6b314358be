/**
 * `npm run bench -- predict [--json] [--size 512,512,300] [--spacing 0.75,0.75,1.5] [--steps 40]`
 *
 * Predict on a real-size CT through the packaged CLI, as a user runs it: a small U-Net is
 * trained on generated CT-like volumes of the same anatomy and field of view (air, body, bone
 * ring, one organ; 256x256x64 at 1.5 mm), then
 * `medstudio predict` runs in its own process on a generated x*y*z CT at the given spacing
 * (default 512x512x300 at 0.75x0.75x1.5 mm, int16 NIfTI): resampled to the plan's 1.5 mm,
 * sliding windows, the label map resampled back and written in the CT's own grid. Reports the
 * CLI's wall time and its peak resident memory (the kernel's VmHWM), and the organ Dice on the
 * big volume (the generator knows the truth; the model is tiny, so this is a sanity check, not
 * a result). Needs `npm run build` (it runs the bundled CLI). Never fails on time.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { encodeNiftiGz } from '../server/src/data/writers/nifti';
import { readImage } from '../server/src/data/readers';
import { runExperiment } from '../server/src/runs/runner';
import { createRng } from '../server/src/transforms/rng';

type Triple = [number, number, number];
const ROOT = path.resolve(__dirname, '..');
const IDENTITY: [number, number, number, number, number, number, number, number, number] = [1, 0, 0, 0, 1, 0, 0, 0, 1];

function triple(args: string[], key: string, d: Triple): Triple {
  const i = args.indexOf(`--${key}`);
  if (i < 0) return d;
  const v = (args[i + 1] ?? '').split(',').map(Number);
  if (v.length !== 3 || v.some((x) => !Number.isFinite(x) || x <= 0)) throw new Error(`--${key} takes three positive numbers x,y,z, got '${args[i + 1]}'`);
  return v as Triple;
}

/**
 * A CT-like volume [x, y, z] at `spacing` mm: air -1000 HU, an elliptic body of soft tissue
 * (40 HU), a bone ring (700 HU) and an ellipsoid organ (90 HU, label 1), with noise. Shapes are in
 * millimetres, so the same anatomy appears at any spacing.
 */
function ctLike(size: Triple, spacing: Triple, seed: number): { image: Int16Array; label: Uint8Array } {
  const [nx, ny, nz] = size;
  const rng = createRng(seed);
  const ext = size.map((n, a) => n * spacing[a]!) as Triple;
  const body = [ext[0] * rng.uniform(0.36, 0.42), ext[1] * rng.uniform(0.28, 0.34)];
  const organ = { c: [ext[0] * rng.uniform(0.55, 0.62), ext[1] * rng.uniform(0.45, 0.55), ext[2] * rng.uniform(0.4, 0.6)], r: [rng.uniform(40, 55), rng.uniform(35, 45), rng.uniform(45, 70)] };
  const image = new Int16Array(nx * ny * nz);
  const label = new Uint8Array(nx * ny * nz);
  let i = 0;
  for (let z = 0; z < nz; z++) {
    const mz = (z + 0.5) * spacing[2];
    for (let y = 0; y < ny; y++) {
      const my = (y + 0.5) * spacing[1];
      for (let x = 0; x < nx; x++, i++) {
        const mx = (x + 0.5) * spacing[0];
        const e = ((mx - ext[0] / 2) / body[0]!) ** 2 + ((my - ext[1] / 2) / body[1]!) ** 2;
        const o = ((mx - organ.c[0]!) / organ.r[0]!) ** 2 + ((my - organ.c[1]!) / organ.r[1]!) ** 2 + ((mz - organ.c[2]!) / organ.r[2]!) ** 2;
        let hu = -1000;
        if (e < 1) hu = e > 0.85 && e < 0.92 ? 700 : o < 1 ? 90 : 40;
        if (e < 1 && o < 1) label[i] = 1;
        image[i] = Math.round(hu + 15 * rng.normal());
      }
    }
  }
  return { image, label };
}

function writeCt(file: string, size: Triple, spacing: Triple, data: Int16Array | Uint8Array): void {
  fs.writeFileSync(file, encodeNiftiGz({ data, dims: size, spacing, origin: [0, 0, 0], direction: IDENTITY }, 1));
}

const bench: Bench = async ({ args, log }) => {
  const cli = path.join(ROOT, 'bin', 'medstudio.js');
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('the bundled CLI is missing: run `npm run build` first (this benchmark runs it as users do)');
  const size = triple(args, 'size', [512, 512, 300]);
  const spacing = triple(args, 'spacing', [0.75, 0.75, 1.5]);
  const si = args.indexOf('--steps');
  const steps = si >= 0 ? Number(args[si + 1]) : 40;
  const compute = await ensureBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-predict-'));
  try {
    for (const sub of ['volumes', 'labels']) fs.mkdirSync(path.join(dir, sub));
    // The same field of view in-plane as the big CT (384 mm), so the anatomy is at the same scale.
    const small: Triple = [256, 256, 64];
    for (let s = 0; s < 6; s++) {
      const v = ctLike(small, [1.5, 1.5, 1.5], 100 + s);
      writeCt(path.join(dir, 'volumes', `ct${s}.nii.gz`), small, [1.5, 1.5, 1.5], v.image);
      writeCt(path.join(dir, 'labels', `ct${s}.nii.gz`), small, [1.5, 1.5, 1.5], v.label);
    }
    fs.writeFileSync(path.join(dir, 'split.csv'), ['path,split', ...[0, 1, 2, 3, 4, 5].map((s) => `volumes/ct${s}.nii.gz,${s < 5 ? 'train' : 'val'}`)].join('\n') + '\n');
    const exp = path.join(dir, 'ct.medstudio.yaml');
    fs.writeFileSync(
      exp,
      `method: segment
data: { format: volumes, path: volumes, labels: labels, classes: [background, organ], split: split.csv }
model: { backbone: unet }
unet: { features: 8, maxFeatures: 64, patch: [48, 64, 64], stepsPerEpoch: ${steps}, batchSize: 2, foreground: 0.5, mirror: false }
train: { epochs: 1, seed: 1 }
`,
    );
    const t0 = performance.now();
    const run = await runExperiment(exp, { outDir: path.join(dir, 'runs') });
    if (run.info.state !== 'finished') throw new Error(`the U-Net did not train: ${run.info.error ?? run.info.state}`);
    const trainSeconds = (performance.now() - t0) / 1000;
    // The model on a held-out volume like its training data (its validation Dice), beside the big CT's.
    const valDice = fs
      .readFileSync(path.join(run.info.runDir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { split: string; extra?: { dice_organ?: number } })
      .filter((m) => m.split === 'val')
      .at(-1)?.extra?.dice_organ;
    log(`U-Net trained on 5 generated CT-like volumes (${small.join('x')} at 1.5 mm) in ${trainSeconds.toFixed(0)} s`);

    const big = ctLike(size, spacing, 7);
    const bigFile = path.join(dir, 'big.nii.gz');
    writeCt(bigFile, size, spacing, big.image);
    log(`generated a ${size.join('x')} CT at ${spacing.join('x')} mm (${((size[0] * size[1] * size[2] * 2) / 2 ** 20).toFixed(0)} MB of int16 voxels)`);
    const out = path.join(dir, 'pred');
    const r = spawnSync(process.execPath, [cli, 'predict', run.info.runDir, bigFile, '--out', out, '--json'], { encoding: 'utf8', maxBuffer: 64 << 20, cwd: dir });
    if (r.status !== 0) throw new Error(`medstudio predict failed (${r.status}): ${(r.stderr || r.stdout).slice(-3000)}`);
    log(r.stderr.trim());
    const summary = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { seconds: number; peakMemoryMB: number; backend: string; outputs: { output: string }[] };
    const pred = await readImage(summary.outputs[0]!.output);
    let inter = 0;
    let a = 0;
    let b = 0;
    for (let i = 0; i < big.label.length; i++) {
      const p = Number(pred.data[i]) === 1;
      const t = big.label[i] === 1;
      if (p) a++;
      if (t) b++;
      if (p && t) inter++;
    }
    const dice = a + b ? (2 * inter) / (a + b) : 1;
    log(`predict: ${summary.seconds.toFixed(1)} s, peak memory ${summary.peakMemoryMB.toFixed(0)} MB [${summary.backend}], organ Dice ${dice.toFixed(3)} on the big CT, ${valDice?.toFixed(3)} on a held-out 1.5 mm training-like volume (tiny model: a sanity check)`);
    return {
      predict: {
        data: `generated CT-like ${size.join('x')} at ${spacing.join('x')} mm, U-Net planned at 1.5 mm (patch 48x64x64, features 8-64, no mirroring)`,
        backend: summary.backend,
        device: compute.device,
        seconds: summary.seconds,
        peakMemoryMB: summary.peakMemoryMB,
        under2GB: summary.peakMemoryMB < 2048,
        organDice: dice,
        valOrganDice: valDice ?? null,
        trainSeconds,
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
