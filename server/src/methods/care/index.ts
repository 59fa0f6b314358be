/** CARE (`method: care`) and its cross-entropy baseline (`method: supervised`), one code path. */
import type { MethodRunner } from '../../training/types';
import { evaluateRun } from './evalRun';
import { trainClassifier } from './train';

export const careRunner: MethodRunner = { method: 'care', train: trainClassifier, evaluate: evaluateRun };
export const supervisedRunner: MethodRunner = { method: 'supervised', train: trainClassifier, evaluate: evaluateRun };
