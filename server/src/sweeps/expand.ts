/**
 * A `sweep:` block -> its trials: every combination (grid) or `trials` seeded draws (random) of
 * the listed keys, each run once per seed. Pure: the same block always gives the same trials.
 */
import { schemaAt } from '../experiment/schema';
import type { SweepBlock, SweepRange, SweepValue } from '../experiment/types';
import { createRng, type Rng } from '../transforms/rng';

export interface Trial {
  /** 't01', 't02', ... in expansion order. */
  id: string;
  /** The swept keys' values ('train.lr' -> 0.003), in the block's key order. */
  params: Record<string, SweepValue>;
  /** train.seed of this trial when the block lists seeds. */
  seed?: number;
}

/** More trials than this is a typo, not a sweep. */
export const MAX_TRIALS = 1000;

function cartesian(entries: [string, SweepValue[]][]): Record<string, SweepValue>[] {
  let out: Record<string, SweepValue>[] = [{}];
  for (const [key, values] of entries) out = out.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return out;
}

function draw(rng: Rng, key: string, spec: SweepValue[] | SweepRange): SweepValue {
  if (Array.isArray(spec)) return rng.pick(spec);
  const node = schemaAt(key.split('.'));
  const integer = node?.kind === 'number' && node.integer === true;
  const v = spec.log ? Math.exp(rng.uniform(Math.log(spec.min), Math.log(spec.max))) : rng.uniform(spec.min, spec.max);
  // Integers round to the nearest allowed value; floats keep 4 significant digits, readable in a table.
  return integer ? Math.min(spec.max, Math.max(spec.min, Math.round(v))) : Number(v.toPrecision(4));
}

export function expandSweep(sweep: SweepBlock): Trial[] {
  const entries = Object.entries(sweep.params);
  let settings: Record<string, SweepValue>[];
  if (sweep.strategy === 'grid') {
    const lists = entries.map(([k, v]): [string, SweepValue[]] => {
      if (!Array.isArray(v)) throw new Error(`sweep.params.${k}: a grid needs a list of values`);
      return [k, v];
    });
    const count = lists.reduce((n, [, v]) => n * v.length, 1) * (sweep.seeds?.length ?? 1);
    if (count > MAX_TRIALS) throw new Error(`the sweep expands into ${count} trials (at most ${MAX_TRIALS}); list fewer values or use strategy: random`);
    settings = cartesian(lists);
  } else {
    const rng = createRng(sweep.samplerSeed);
    settings = Array.from({ length: sweep.trials }, () => Object.fromEntries(entries.map(([k, spec]) => [k, draw(rng, k, spec)])));
  }
  const seeds: (number | undefined)[] = sweep.seeds ?? [undefined];
  const trials = settings.flatMap((params) => seeds.map((seed) => ({ params, seed })));
  if (trials.length > MAX_TRIALS) throw new Error(`the sweep expands into ${trials.length} trials (at most ${MAX_TRIALS})`);
  const width = Math.max(2, String(trials.length).length);
  return trials.map((t, i) => ({ id: `t${String(i + 1).padStart(width, '0')}`, params: t.params, ...(t.seed !== undefined ? { seed: t.seed } : {}) }));
}

/** "train.lr=0.003 model.width=16 seed=2": a trial's settings in one line. */
export function describeTrial(t: Trial): string {
  const parts = Object.entries(t.params).map(([k, v]) => `${k}=${String(v)}`);
  if (t.seed !== undefined) parts.push(`seed=${t.seed}`);
  return parts.join(' ');
}
