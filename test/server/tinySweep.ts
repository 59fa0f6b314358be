/** A tiny three-trial sweep experiment on the bundled skin samples (a few seconds per trial), for the server and slurm layers. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './lspClient';

export function writeTinySweep(dir: string, name: string, lrs: number[], o: { epochs?: number; extra?: string } = {}): string {
  const file = path.join(dir, `${name}.medstudio.yaml`);
  fs.writeFileSync(
    file,
    `name: ${name}
method: supervised
data: { format: csv, path: ${path.join(ROOT, 'samples', 'skin-lesions', 'labels.csv')}, classes: [nevus, keratosis, melanoma, carcinoma, vascular] }
model: { backbone: resnet, width: 4, depth: 1, inputSize: 16 }
train: { epochs: ${o.epochs ?? 2}, batchSize: 32, seed: 1, augment: false }
${o.extra ?? ''}sweep:
  concurrency: 2
  params:
    train.lr: [${lrs.join(', ')}]
`,
  );
  return file;
}
