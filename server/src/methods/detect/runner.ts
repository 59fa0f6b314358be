/** `method: detect` — a 2D lesion detector (CenterNet-style) trained on COCO boxes. */
import type { MethodRunner } from '../../training/types';
import { evaluateDetectorRun, trainDetector } from './train';

export const detectRunner: MethodRunner = { method: 'detect', train: trainDetector, evaluate: evaluateDetectorRun };
