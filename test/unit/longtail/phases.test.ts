/** The order of a classifier run's phases with the long-tail options: cleaning folds first, cRT last and classifier-only. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExperiment } from '../../../server/src/experiment/parse';
import { planPhases } from '../../../server/src/methods/care/phases';

function experiment(text: string) {
  const r = parseExperiment(text, '/tmp/x.medstudio.yaml');
  assert.ok(r.experiment, JSON.stringify(r.problems));
  return r.experiment;
}

test('a CARE run with cleaning, hi-res and cRT: k fold phases per round, stage 1, stage 2, hi-res, then a classifier-only cRT phase without attention', () => {
  const exp = experiment(`method: care
data: { format: csv, path: labels.csv, rare: [r] }
train: { epochs: 4, lr: 0.01 }
longtail: { cleaningRounds: 2, cleaningFolds: 3, hiResInputSize: 64, hiResEpochs: 2, crtEpochs: 3, crtLr: 0.1 }
`);
  const phases = planPhases(exp);
  assert.deepEqual(
    phases.map((p) => p.name),
    ['clean1-fold1', 'clean1-fold2', 'clean1-fold3', 'clean2-fold1', 'clean2-fold2', 'clean2-fold3', 'stage1', 'stage2', 'hires', 'crt'],
  );
  assert.deepEqual(phases.slice(0, 6).map((p) => p.heldOutFold), [1, 1, 1, 2, 2, 2].map((round, i) => ({ round, fold: i % 3, folds: 3 })));
  const crt = phases[phases.length - 1]!;
  assert.deepEqual(
    { inputSize: crt.inputSize, epochs: crt.epochs, epochOffset: crt.epochOffset, lr: crt.lr, attention: crt.attention, from: crt.from, classifierOnly: crt.classifierOnly },
    { inputSize: 64, epochs: 3, epochOffset: 6, lr: 0.1, attention: false, from: 'previous', classifierOnly: true },
    'cRT follows hi-res at its input size, its epochs counted after it, at crtLr',
  );
  assert.ok(phases.filter((p) => p.name !== 'crt').every((p) => !p.classifierOnly));
});

test('cRT is off by default and its learning rate defaults to train.lr', () => {
  const base = `method: supervised\ndata: { format: csv, path: labels.csv }\ntrain: { epochs: 5, lr: 0.02 }\n`;
  assert.deepEqual(planPhases(experiment(base)).map((p) => p.name), ['main']);
  const crt = planPhases(experiment(`${base}longtail: { crtEpochs: 2 }\n`));
  assert.deepEqual(crt.map((p) => [p.name, p.epochOffset, p.lr]), [['main', 0, 0.02], ['crt', 5, 0.02]]);
});
