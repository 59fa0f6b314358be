/**
 * The run's self-contained report.html: settings, test metrics per class, loss and metric
 * curves, the confusion matrix, and Grad-CAM overlays for a few test images of each class.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as path from 'node:path';
import { writeFileAtomic } from '../../data/atomicWrite';
import type { ClassificationDataset } from '../../data/datasets';
import type { EvalMetrics } from '../../protocol';
import type { ResNetClassifier } from '../../networks/resnet';
import { readMetrics, RUN_FILES } from '../../runs/runDir';
import { confusionChart, lineChart } from '../../runs/report/charts';
import { esc, kvTable, page, pngDataUri } from '../../runs/report/html';
import type { RunContext } from '../../training/types';
import type { SplitPredictions } from './evaluate';
import type { RareBoxes } from './dataset';
import { gradCamMaps, overlayRgba } from './gradcam';
import { stage1Epochs } from './phases';

const PER_CLASS = 3;
const fmt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? '–' : v.toFixed(3));

function metricsTable(m: EvalMetrics, rare: Set<string>): string {
  const classes = m.classes ?? [];
  const cm = m.confusion ?? [];
  const rows = classes
    .map((c, i) => `<tr><td class="l">${esc(c)}${rare.has(c) ? ' (rare)' : ''}</td><td>${cm[i]?.reduce((a, b) => a + b, 0) ?? 0}</td><td>${fmt(m.recall?.[c])}</td><td>${fmt(m.precision?.[c])}</td></tr>`)
    .join('');
  return `<table><tr><th class="l">class</th><th>test images</th><th>recall</th><th>precision</th></tr>${rows}</table>
${kvTable([
  ['accuracy', fmt(m.accuracy)],
  ['balanced accuracy', fmt(m.balancedAccuracy)],
  ['mean class error rate', fmt(m.meanClassError)],
  ['macro AUC (one-vs-rest)', fmt(m.auc)],
])}`;
}

function curves(history: EvalMetrics[]): string {
  const val = history.filter((m) => m.split === 'val');
  const pts = (f: (m: EvalMetrics) => number | undefined): [number, number][] => val.map((m) => [m.epoch, f(m) ?? NaN]);
  const classes = val[0]?.classes ?? [];
  return `<div class="grid">
${lineChart('loss', [
  { name: 'train', points: pts((m) => m.extra?.trainLoss) },
  { name: 'val', points: pts((m) => m.loss) },
])}
${lineChart('validation metrics', [
  { name: 'balanced accuracy', points: pts((m) => m.balancedAccuracy) },
  { name: 'mean class error', points: pts((m) => m.meanClassError) },
  { name: 'macro AUC', points: pts((m) => m.auc) },
], { yMin: 0, yMax: 1 })}
${lineChart('validation recall per class', classes.map((c) => ({ name: c, points: pts((m) => m.recall?.[c]) })), { yMin: 0, yMax: 1 })}
${val.some((m) => m.extra?.attentionLoss !== undefined) ? lineChart('CARE attention loss (mean per batch)', [{ name: 'L_cam', points: pts((m) => m.extra?.attentionLoss) }]) : ''}
</div>`;
}

async function camGallery(net: ResNetClassifier, ds: ClassificationDataset, pred: SplitPredictions): Promise<string> {
  const size = net.options.inputSize;
  const channels = net.options.channels;
  const zoom = Math.max(1, Math.round(96 / size));
  const k = ds.classes.length;
  let html = '';
  for (let c = 0; c < k; c++) {
    const picks = pred.samples.map((s, i) => [s, i] as const).filter(([s]) => s.label === c).slice(0, PER_CLASS);
    if (!picks.length) continue;
    const images = await Promise.all(picks.map(([s]) => ds.load(s)));
    const x = tf.tensor4d(Float32Array.from(images.flatMap((im) => Array.from(im))), [images.length, size, size, channels]);
    const { cams } = await gradCamMaps(net, x, picks.map(() => c));
    x.dispose();
    const figs = picks.map(([s, i], j) => {
      const probs = pred.probs.subarray(i * k, (i + 1) * k);
      let p = 0;
      for (let q = 1; q < k; q++) if (probs[q]! > probs[p]!) p = q;
      const uri = pngDataUri(overlayRgba(images[j]!, channels, cams[j]!, size, zoom), size * zoom, size * zoom);
      return `<figure><img src="${uri}" width="${size * zoom}" height="${size * zoom}" alt="Grad-CAM of ${esc(s.id)}"><figcaption>${esc(path.basename(s.id))}<br>predicted ${esc(ds.classes[p]!)} (${probs[p]!.toFixed(2)})</figcaption></figure>`;
    });
    html += `<h3>${esc(ds.classes[c]!)}</h3><div class="grid">${figs.join('')}</div>`;
  }
  return html;
}

export async function writeCareReport(ctx: RunContext, r: { net: ResNetClassifier; ds: ClassificationDataset; test: EvalMetrics; predictions: SplitPredictions; rare: number[]; boxed?: RareBoxes[] }): Promise<string> {
  const exp = ctx.experiment;
  const history = await readMetrics(ctx.runDir);
  const rare = new Set(r.rare.map((i) => r.ds.classes[i]!));
  const settings: [string, string][] = [
    ['experiment', exp.file],
    ['method', exp.method === 'care' ? `CARE (stage 1: ${stage1Epochs(exp)} epochs cross-entropy; stage 2: ${exp.train.epochs - stage1Epochs(exp)} epochs (1 - alpha) CE + alpha attention loss, fresh optimiser and schedule from the stage-1 weights; alpha ${exp.care.alpha}, T ${exp.care.threshold})` : 'supervised (cross-entropy only)'],
    ...(exp.method === 'care' ? ([['rare classes', [...rare].join(', ')], ['boxes', exp.data.boxes?.source ?? 'manual'], ['rare-class training images with boxes', (r.boxed ?? []).map((b) => `${b.class}: ${b.withBoxes} of ${b.images}`).join(', ')]] as [string, string][]) : []),
    ['model', `ResNet, width ${exp.model.width}, depth ${exp.model.depth}, input ${r.net.options.inputSize}px, ${r.net.model.countParams().toLocaleString('en')} parameters`],
    ['training', `${exp.train.epochs} epochs, batch ${exp.train.batchSize}, ${exp.train.optimizer} lr ${exp.train.lr}, seed ${exp.train.seed}, balance ${exp.train.balance}`],
    ['long-tail', `weight norm tau ${exp.longtail.weightNorm}, TTA ${exp.longtail.tta ? 'on' : 'off'}, cleaning rounds ${exp.longtail.cleaningRounds}, hi-res ${exp.longtail.hiResInputSize || 'off'}, classifier re-training ${exp.longtail.crtEpochs ? `${exp.longtail.crtEpochs} epochs` : 'off'}`],
    ['data', `${r.ds.samples.length} images; ${r.ds.imbalance}`],
    ['backend', `${ctx.compute.backend} — ${ctx.compute.device}`],
    ['run', ctx.runId],
  ];
  const html = page(`MedStudio run ${ctx.runId}: ${exp.name}`, [
    `<h2>Settings</h2>${kvTable(settings)}`,
    `<h2>Test results</h2>${metricsTable(r.test, rare)}`,
    `<h2>Curves</h2>${curves(history)}`,
    `<h2>Confusion matrix (test)</h2>${confusionChart(r.ds.classes, r.test.confusion ?? [])}`,
    `<h2>Grad-CAM on test images (true class)</h2><p class="muted">Last convolutional block, weights = spatial mean of d(logit)/dA, min-max normalised. Red = attended.</p>${await camGallery(r.net, r.ds, r.predictions)}`,
  ]);
  const file = path.join(ctx.runDir, RUN_FILES.report);
  await writeFileAtomic(file, html);
  return file;
}
