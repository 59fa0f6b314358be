/**
 * `medstudio explain <run-dir> <image> [--method gradcam|gradcam++|kernel] [--layer L]
 * [--kernel K] [--class C] --out DIR`: explanations headless. Grad-CAM writes the heatmap over the
 * image as PNG (the middle slice of each axis for volumes, plus a NIfTI heatmap); kernel
 * interpretation writes the optimised image the same way. Without --kernel, the most active
 * kernel of the layer is interpreted. A segment2d run writes its mask and foreground probability.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureBackend } from '../../engine/backend';
import { imageStem } from '../../data/readers/sniff';
import { Explainer } from '../../explain/explainer';
import { writeHeatmapFiles, writeKernelImageFiles } from '../../explain/outputs';
import { segment2dModelFile } from '../../methods/segment2d/model';
import { writeSegment2dPrediction } from '../../methods/segment2d/predictFiles';
import type { BackendPreference } from '../../protocol';
import { UsageError, type CliCommand } from '../types';

const METHODS = ['gradcam', 'gradcam++', 'kernel'] as const;
type Method = (typeof METHODS)[number];

function positiveInt(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a non-negative integer, not '${v}'`);
  return n;
}

export const explain: CliCommand = {
  name: 'explain',
  summary: 'Grad-CAM / Grad-CAM++ heatmaps or kernel interpretation of an image by a trained run',
  usage:
    'medstudio explain <run-dir> <image> [--method gradcam|gradcam++|kernel] [--layer L] [--kernel K] [--class C] [--steps N] [--seconds S] [--zoom N] --out DIR [--backend B] [--json]',
  options: {
    method: { type: 'string' },
    layer: { type: 'string' },
    kernel: { type: 'string' },
    class: { type: 'string' },
    out: { type: 'string' },
    steps: { type: 'string' },
    seconds: { type: 'string' },
    zoom: { type: 'string' },
    backend: { type: 'string' },
  },
  async run({ positionals, values }, io) {
    const [runDir, imagePath] = positionals;
    if (!runDir || !imagePath || positionals.length > 2) throw new UsageError('give a run folder and an image');
    const outDir = values.out;
    if (typeof outDir !== 'string' || !outDir) throw new UsageError('--out DIR is required (where the PNG and NIfTI files go)');
    const method = (values.method ?? 'gradcam') as Method;
    if (!METHODS.includes(method)) throw new UsageError(`--method must be one of ${METHODS.join(', ')}, not '${String(values.method)}'`);
    const layer = values.layer as string | undefined;
    await ensureBackend({ backend: (values.backend as BackendPreference | undefined) ?? 'auto' });
    if (fs.existsSync(segment2dModelFile(path.resolve(runDir)))) {
      // A segment2d run: its explanation is its mask and foreground probability (methods/segment2d/predictFiles.ts).
      if (values.method !== undefined || layer !== undefined || values.kernel !== undefined || values.class !== undefined) throw new UsageError('a segment2d run writes its mask and foreground probability; --method, --layer, --kernel and --class are for classifiers');
      const zoom2d = positiveInt(values.zoom as string | undefined, 'zoom');
      if (zoom2d === 0) throw new UsageError('--zoom must be at least 1');
      const r = await writeSegment2dPrediction(path.resolve(runDir), path.resolve(imagePath), path.resolve(outDir), imageStem(imagePath), zoom2d);
      io.out(`segment2d mask ${r.width}x${r.height}: ${Object.entries(r.pixels).map(([c, n]) => `${c} ${n} px`).join(', ')}`);
      for (const f of r.files) io.out(`wrote ${f}`);
      return { method: 'segment2d', classes: r.classes, pixels: r.pixels, dims: [r.width, r.height], files: r.files };
    }
    const explainer = new Explainer();
    const target = { runDir: path.resolve(runDir), imagePath: path.resolve(imagePath), layer };
    const stem = imageStem(imagePath);
    const zoom = positiveInt(values.zoom as string | undefined, 'zoom');
    if (zoom === 0) throw new UsageError('--zoom must be at least 1');
    try {
      if (method !== 'kernel') {
        let classIndex: number | undefined;
        const cls = values.class as string | undefined;
        if (cls !== undefined) {
          const { classes } = await explainer.layers(target.runDir);
          classIndex = /^\d+$/.test(cls) ? Number(cls) : classes.indexOf(cls);
          if (classIndex < 0 || classIndex >= classes.length) throw new UsageError(`--class '${cls}' is not a class of this model (${classes.join(', ')})`);
        }
        const r = await explainer.gradCam({ ...target, classIndex, method });
        const is3d = r.dims.length === 3;
        const files = await writeHeatmapFiles(path.resolve(outDir), `${stem}.${method}`, r.image, r.heatmap, is3d, zoom);
        const p = r.probabilities[r.classIndex] ?? 0;
        io.out(`${method} of '${r.className}' (p = ${p.toFixed(3)}) at layer ${r.layer}`);
        for (const f of files) io.out(`wrote ${f}`);
        return { method, layer: r.layer, classIndex: r.classIndex, className: r.className, probabilities: r.probabilities, classes: r.classes, dims: r.dims, files };
      }
      let kernel = positiveInt(values.kernel as string | undefined, 'kernel');
      if (kernel === undefined) {
        const top = await explainer.topKernels({ ...target, count: 1 });
        kernel = top.kernels[0]!.index;
        io.out(`interpreting kernel ${kernel}, the most active of ${top.layer} on this image`);
      }
      let lastShown = 0;
      const r = await explainer.interpretKernel(
        { ...target, kernel, maxSteps: positiveInt(values.steps as string | undefined, 'steps'), maxSeconds: positiveInt(values.seconds as string | undefined, 'seconds'), streamEvery: 10 },
        {
          onProgress: (s) => {
            if (io.json || s.step === lastShown) return;
            lastShown = s.step;
            io.out(`step ${s.step}/${s.maxSteps}: L_sel ${s.lSel.toFixed(4)}  L_rest ${s.lRest.toFixed(4)}`);
          },
        },
      );
      const files = await writeKernelImageFiles(path.resolve(outDir), `${stem}.kernel-${r.layer}-${kernel}`, r.image, r.dims, r.channels, r.source, r.dims.length === 3, zoom);
      io.out(`kernel ${kernel} of ${r.layer} (convolution ${r.convolution}, alpha ${r.weights.alpha}, beta ${r.weights.beta}, gamma ${r.weights.gamma}; L1 toward the ${r.anchor.source === 'training data' ? 'training data\'s' : 'image\'s own (the run saved no data mean)'} mean ${r.anchor.mean.map((v) => v.toFixed(3)).join('/')}): ${r.steps} steps, ${r.stopped}; L_sel ${r.lSel.toFixed(4)}, L_rest ${r.lRest.toFixed(4)}`);
      for (const f of files) io.out(`wrote ${f}`);
      return { method, layer: r.layer, kernel, steps: r.steps, stopped: r.stopped, lSel: r.lSel, lRest: r.lRest, dims: r.dims, files };
    } finally {
      explainer.dispose();
    }
  },
};
