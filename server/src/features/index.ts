/** Every feature of the compute server. Add one line per feature module. */
import type { ServerFeature } from './types';
import { computeFeature } from './compute';
import { experimentLanguageFeature } from './experimentLanguage';
import { jobsFeature } from './jobs';
import { viewerFeature } from './viewer';
import { boxesFeature } from './boxes';
import { glmaeFeature } from './glmae';
import { explainFeature } from './explain';
import { generateBoxesFeature } from './generateBoxes';
import { sweepsFeature } from './sweeps';
import { predictFeature } from './predict';

export const features: ServerFeature[] = [computeFeature, experimentLanguageFeature, jobsFeature, viewerFeature, boxesFeature, glmaeFeature, explainFeature, generateBoxesFeature, sweepsFeature, predictFeature];
