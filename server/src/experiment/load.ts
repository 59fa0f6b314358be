import * as fs from 'node:fs/promises';
import { ExperimentError, parseExperiment } from './parse';
import type { Experiment } from './types';

/** Reads, validates and resolves an experiment file; throws ExperimentError with line numbers. */
export async function loadExperiment(file: string): Promise<Experiment> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read experiment file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const r = parseExperiment(text, file);
  if (!r.experiment) throw new ExperimentError(file, r.problems);
  return r.experiment;
}
