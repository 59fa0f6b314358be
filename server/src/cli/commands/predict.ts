/**
 * `medstudio predict <run-dir> <volume|image|folder> --out DIR`: a finished run's model on new
 * data. Segmentation runs write label maps (NIfTI, in each input's own geometry); classification
 * runs write predictions.csv. Ctrl+C stops between windows.
 */
import * as path from 'node:path';
import { ensureBackend } from '../../engine/backend';
import { predictRun } from '../../predict/predictRun';
import type { BackendPreference } from '../../protocol';
import { UsageError, type CliCommand } from '../types';
import { stopOnSigint } from './train';

export const predict: CliCommand = {
  name: 'predict',
  summary: "run a finished run's model on volumes or images: label maps (NIfTI) or class probabilities (CSV)",
  usage: 'medstudio predict <run-dir> <volume|image|folder> --out DIR [--no-mirror] [--backend B] [--json]',
  options: { out: { type: 'string' }, 'no-mirror': { type: 'boolean' }, backend: { type: 'string' } },
  async run({ positionals, values }, io) {
    const [runDir, input] = positionals;
    if (!runDir || !input || positionals.length > 2) throw new UsageError('give a run folder and a volume, image or folder of them');
    const outDir = values.out;
    if (typeof outDir !== 'string' || !outDir) throw new UsageError('--out DIR is required (where label maps or predictions.csv go)');
    const compute = await ensureBackend({ backend: (values.backend as BackendPreference | undefined) ?? 'auto' });
    const stop = stopOnSigint(io);
    let last = 0;
    try {
      const s = await predictRun(path.resolve(runDir), input, {
        outDir: path.resolve(outDir),
        mirror: values['no-mirror'] ? false : undefined,
        signal: stop.signal,
        log: (l) => io.err(l),
        onProgress: (p) => {
          const now = Date.now();
          if (!io.tty || (now - last < 200 && p.done !== p.total)) return;
          last = now;
          process.stderr.write(`\r\x1b[2K${path.basename(p.input)} (${p.index + 1}/${p.count}): ${p.done}/${p.total}${p.done === p.total ? '\n' : ''}`);
        },
      });
      if (!io.json) {
        for (const r of s.outputs) {
          if (r.output) io.out(`${r.output}  (${Object.entries(r.counts ?? {}).map(([c, n]) => `${c} ${n}`).join(', ')} voxels; ${r.seconds.toFixed(1)} s)`);
          else io.out(`${r.input}: ${r.predicted} (${Object.entries(r.probabilities ?? {}).map(([c, p]) => `${c} ${p.toFixed(3)}`).join(', ')})`);
        }
        if (s.table) io.out(`table: ${s.table}`);
        io.out(`${s.outputs.length} input(s) in ${s.seconds.toFixed(1)} s, peak memory ${Math.round(s.peakMemoryMB)} MB [${compute.backend}]`);
      }
      return { ...s, backend: compute.backend };
    } finally {
      stop.dispose();
    }
  },
};
