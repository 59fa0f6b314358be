/**
 * `npm run bench -- segment-lcc --run <runDir> [--threads 1] [--json]`
 *
 * Largest-component post-processing (nnU-Net's "remove all but the largest component" of each
 * class: server/src/transforms/largestComponent.ts) on a U-Net trained by `npm run bench --
 * segment` (its run folder, which holds model/segmenter.json). Every val and test volume of the
 * fixed hippocampus split (bench/hippocampusSplit.ts) is predicted once, as the run's test was
 * (sliding window, the run's overlap and mirroring TTA, on the 1 mm grid), and scored with and
 * without the post-processing, so the option is chosen on val and the test figure is reported
 * for both. Paired per-volume difference of the mean foreground Dice (with minus without).
 * Says so and stops when the data or the model are missing. Never fails on time.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Bench } from './run';
import { readCase } from '../server/src/data/volumes/caseVolume';
import { ensureBackend } from '../server/src/engine/backend';
import { predictCase, scoreCase, summarise, type CaseScores } from '../server/src/methods/segment/unetPredict';
import { loadUnetModel, unetModelFile } from '../server/src/predict/unetModel';
import { keepLargestComponent } from '../server/src/transforms/largestComponent';
import { HIPPOCAMPUS, hippocampusCases } from './hippocampusSplit';
import { mean, sd } from './stats';

const fx = (v: number | undefined, digits: number) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits));

/** Mean Dice over the foreground classes a case has (NaN-skipping, as summarise does). */
const caseMeanDice = (s: CaseScores) => {
  const fg = s.dice.slice(1).filter((v) => !Number.isNaN(v));
  return fg.length ? mean(fg) : NaN;
};

const bench: Bench = async ({ args, log }) => {
  const flag = (k: string) => {
    const i = args.indexOf(`--${k}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const runDir = flag('run');
  if (!runDir) throw new Error('segment-lcc needs --run <the U-Net run folder from npm run bench -- segment>');
  if (!fs.existsSync(unetModelFile(runDir))) throw new Error(`${unetModelFile(runDir)} is missing: --run must name a finished U-Net run`);
  if (!fs.existsSync(path.join(HIPPOCAMPUS, 'images'))) {
    log(`segment-lcc bench: ${HIPPOCAMPUS} is missing (the real hippocampus volumes live in ../shared/data/real/); nothing measured`);
    return { skipped: `missing ${HIPPOCAMPUS}` };
  }
  const threads = Number(flag('threads') ?? 1);
  if (!Number.isInteger(threads) || threads < 0) throw new Error(`--threads needs a whole number, got '${flag('threads')}'`);
  const compute = await ensureBackend({ threads });
  const backend = compute.backend;
  const model = loadUnetModel(runDir);
  const K = model.classes.length;
  const cases = hippocampusCases();
  log(`segment-lcc on ${backend} (${compute.device}); model ${unetModelFile(runDir)} (mirroring TTA ${model.mirror}, overlap ${model.overlap})`);
  const figures: Record<string, unknown> = { backend, device: compute.device, run: runDir, data: 'MSD Task04 hippocampus MRI, fixed split bench/hippocampusSplit.ts' };
  try {
    for (const split of ['val', 'test'] as const) {
      const without: CaseScores[] = [];
      const withLcc: CaseScores[] = [];
      const t0 = performance.now();
      for (const { name: n, image, label } of cases.filter((k) => k.split === split)) {
        const c = await readCase(n, image, label);
        // The run's metrics are on its plan's grid; rescoring elsewhere would not compare.
        if (model.spacing && c.spacing.some((v, a) => Math.abs(v - model.spacing![a]!) > 1e-3)) {
          throw new Error(`${n}: spacing ${c.spacing.join('x')} mm is not the plan's ${model.spacing.join('x')} mm; this bench scores on the native grid only`);
        }
        const pred = await predictCase(model.net, { image: model.normalise(c.image, c.shape), shape: c.shape }, { patch: model.patch, classes: K, mirror: model.mirror, overlap: model.overlap, largestComponent: false, batchSize: 2 });
        without.push(scoreCase(pred, c.label!, c.shape, c.spacing, K));
        withLcc.push(scoreCase(keepLargestComponent(pred, c.shape, K), c.label!, c.shape, c.spacing, K));
      }
      const seconds = (performance.now() - t0) / 1000;
      const a = summarise(without, model.classes);
      const b = summarise(withLcc, model.classes);
      const diff = withLcc.map((s, i) => caseMeanDice(s) - caseMeanDice(without[i]!)).filter((v) => !Number.isNaN(v));
      const changed = diff.filter((v) => v !== 0).length;
      figures[split] = { cases: without.length, without: a, largestComponent: b, pairedMeanDice: { mean: mean(diff), sd: sd(diff), changedCases: changed }, seconds, backend };
      log(`${split} (${without.length} volumes, ${seconds.toFixed(0)} s) [${backend}]:`);
      for (const [label, s] of [['without', a], ['largest component', b]] as const) {
        log(`  ${label.padEnd(18)} ${model.classes.slice(1).map((k) => `Dice ${k} ${fx(s[`dice_${k}`], 3)}, HD95 ${fx(s[`hd95_${k}`], 2)} mm`).join('; ')}; mean Dice ${fx(s.meanDice, 4)}`);
      }
      log(`  paired mean Dice, with minus without: ${fx(mean(diff), 4)} ± ${fx(sd(diff), 4)} over ${diff.length} volumes (${changed} changed)`);
    }
  } finally {
    model.dispose();
  }
  return figures;
};

export default bench;
