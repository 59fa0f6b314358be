/**
 * `npm run bench -- glmae-reference [--json] [--local-views 2]`
 *
 * GL-MAE at the paper's size: 96^3 inputs, patch 16 (216 tokens), a ViT-B encoder (embed 768,
 * depth 12, 12 heads), an MAE-style decoder (512 wide, 8 deep), 75% masking, global and local
 * views (local 32^3 at the 144^3 volume grid). Builds it through the real runner and times one
 * training step (one volume of the generated CT sample) on the best backend present: the
 * wall time of the one-step run, its parameters and the process's peak resident memory. A GPU
 * time per epoch needs a GPU this machine does not have; it is not claimed here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bench } from './run';
import { ensureBackend } from '../server/src/engine/backend';
import { runExperiment, type RunEvent } from '../server/src/runs/runner';
import { peakMemoryMB } from '../server/src/predict/memory';

const ROOT = path.resolve(__dirname, '..');

const bench: Bench = async ({ args, log }) => {
  const li = args.indexOf('--local-views');
  const localViews = li >= 0 ? Number(args[li + 1]) : 2;
  const compute = await ensureBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-glmae-ref-'));
  try {
    fs.mkdirSync(path.join(dir, 'volumes'));
    fs.copyFileSync(path.join(ROOT, 'samples', 'ct-nodules', 'volumes', 'ct-001.nii.gz'), path.join(dir, 'volumes', 'ct-001.nii.gz'));
    const exp = path.join(dir, 'ref.medstudio.yaml');
    fs.writeFileSync(
      exp,
      `method: glmae
data: { format: volumes, path: volumes }
model: { backbone: vit3d, inputSize: 96, patchSize: 16, embedDim: 768, depth: 12, heads: 12, decoderWidth: 512, decoderDepth: 8, projectionDim: 256 }
glmae: { maskRatio: 0.75, localViews: ${localViews}, globalScale: 0.8, localSize: 32, volumeSize: 144 }
train: { epochs: 1, batchSize: 1, lr: 0.00015, weightDecay: 0.05, seed: 1 }
`,
    );
    const logs: string[] = [];
    const t0 = performance.now();
    const r = await runExperiment(exp, { outDir: path.join(dir, 'runs'), onEvent: (e: RunEvent) => e.kind === 'log' && (logs.push(e.message), log(e.message)) });
    const seconds = (performance.now() - t0) / 1000;
    if (r.info.state !== 'finished') throw new Error(`the reference GL-MAE step did not run: ${r.info.error ?? r.info.state}`);
    const params = /(\d+) student parameters/.exec(logs.join('\n'))?.[1] ?? 'not logged';
    log(`GL-MAE reference size: one step in ${seconds.toFixed(1)} s (including building and saving), peak memory ${peakMemoryMB().toFixed(0)} MB [${compute.backend}]`);
    return {
      glmaeReference: {
        data: 'one generated CT volume (samples/ct-nodules) resampled to 144^3; views 96^3 global, 32^3 local',
        config: `96^3, patch 16, ViT-B (768 x 12, 12 heads), decoder 512 x 8, ${localViews} local views, mask 0.75`,
        backend: compute.backend,
        device: compute.device,
        stepSeconds: seconds,
        parameters: params,
        peakMemoryMB: peakMemoryMB(),
        gpuEpoch: 'not measured: no GPU was lent to this session',
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
