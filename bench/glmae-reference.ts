/**
 * `npm run bench -- glmae-reference [--json] [--local-views 2]`
 *
 * GL-MAE at the paper's size: 96^3 inputs, patch 16 (216 tokens), a ViT-B encoder (embed 768,
 * depth 12, 12 heads), an MAE-style decoder (512 wide, 8 deep), 75% masking, global and local
 * views (local 32^3 at the 144^3 volume grid). Trains one step (one volume of the generated CT
 * sample) through the bundled CLI on the best backend present, then on the plain CPU backend if
 * that one fails (wasm's heap is 32-bit): wall time of the one-step run (building and saving
 * included), parameters, the process's peak resident memory, or the error. A GPU time per epoch
 * needs a GPU this machine does not have; it is not claimed here.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Bench } from './run';

const ROOT = path.resolve(__dirname, '..');

interface Attempt {
  backend: string;
  ok: boolean;
  seconds: number;
  peakMemoryMB: number | null;
  device?: string;
  parameters?: string;
  error?: string;
}

/** One training step through the bundled CLI in its own process (a wasm abort must not take the benchmark with it). */
function attempt(exp: string, out: string, backend: string, log: (l: string) => void): Attempt {
  const cli = [path.join(ROOT, 'bin', 'medstudio.js'), 'train', exp, '--backend', backend, '--out', out];
  const timed = fs.existsSync('/usr/bin/time');
  const t0 = performance.now();
  const r = timed
    ? spawnSync('/usr/bin/time', ['-f', 'MAXRSS_KB %M', process.execPath, ...cli], { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 1_800_000 })
    : spawnSync(process.execPath, cli, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 1_800_000 });
  const seconds = (performance.now() - t0) / 1000;
  const text = `${r.stdout}\n${r.stderr}`;
  const kb = /MAXRSS_KB (\d+)/.exec(text)?.[1];
  const device = /backend: (.*)/.exec(text)?.[1];
  const parameters = /(\d+) student parameters/.exec(text)?.[1];
  const ok = r.status === 0;
  const error = ok ? undefined : (text.split('\n').filter((l) => l.trim() && !/^\s+at /.test(l) && !/^MAXRSS/.test(l)).slice(-3).join(' | ') || `exit ${r.status ?? r.signal}`);
  log(`${backend}: ${ok ? 'one step ran' : 'failed'} in ${seconds.toFixed(1)} s, peak ${kb ? (Number(kb) / 1024).toFixed(0) : '?'} MB${device ? ` (${device})` : ''}${error ? `: ${error}` : ''}`);
  return { backend, ok, seconds, peakMemoryMB: kb ? Number(kb) / 1024 : null, ...(device ? { device } : {}), ...(parameters ? { parameters } : {}), ...(error ? { error } : {}) };
}

const bench: Bench = async ({ args, log }) => {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js'))) throw new Error('the bundled CLI is missing: run `npm run build` first (this benchmark runs it as users do)');
  const li = args.indexOf('--local-views');
  const localViews = li >= 0 ? Number(args[li + 1]) : 2;
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
    // The best backend first (what a user gets), then the plain CPU backend if that one cannot hold the model.
    const attempts: Attempt[] = [];
    for (const backend of ['auto', 'cpu']) {
      const a = attempt(exp, path.join(dir, `runs-${backend}`), backend, log);
      attempts.push(a);
      if (a.ok) break;
    }
    return {
      glmaeReference: {
        data: 'one generated CT volume (samples/ct-nodules) resampled to 144^3; views 96^3 global x2, 32^3 local',
        config: `96^3, patch 16, ViT-B encoder (768 x 12, 12 heads), MAE decoder 512 x 8, ${localViews} local views, mask 0.75, batch 1`,
        attempts,
        gpuEpoch: 'not measured: no GPU was lent to this session',
      },
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
};

export default bench;
