/** Every training method, by the `method:` key of the experiment file. Add one line per method. */
import type { MethodRunner } from '../training/types';
import { mocoRunner } from './moco/runner';
import { discoRunner } from './disco/runner';
import { careRunner, supervisedRunner } from './care';
import { glmaeRunner } from './glmae/runner';
import { segmentRunner } from './segment/runner';
import { segment2dRunner } from './segment2d/runner';
import { vit3dAware } from './segment/classify3d';
import { detectRunner } from './detect/runner';

export const methods: MethodRunner[] = [
  mocoRunner,
  discoRunner,
  careRunner,
  vit3dAware(supervisedRunner), // model.backbone vit3d -> 3D ViT classifier, the rest unchanged
  glmaeRunner,
  segmentRunner,
  detectRunner,
  segment2dRunner,
];

export function methodRunner(method: string): MethodRunner {
  const m = methods.find((r) => r.method === method);
  if (!m) throw new Error(`method '${method}' is not available in this build`);
  return m;
}
