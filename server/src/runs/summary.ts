/** A run's numbers at a glance, from its metrics.jsonl: final metrics and validation curves. */
import { LOWER_IS_BETTER, METRIC_KEYS, type EvalMetrics, type FinalMetrics, type MetricKey } from '../protocol';

/** The test evaluation when there is one, else the last validation record. */
export function finalMetrics(ms: readonly EvalMetrics[]): FinalMetrics {
  const pick = [...ms].reverse().find((m) => m.split === 'test') ?? [...ms].reverse().find((m) => m.split === 'val');
  if (!pick || pick.split === 'train') return { values: {} };
  const values: Partial<Record<MetricKey, number>> = {};
  for (const k of METRIC_KEYS) if (typeof pick[k] === 'number' && Number.isFinite(pick[k])) values[k] = pick[k];
  return { split: pick.split, epoch: pick.epoch, values };
}

/** metric -> [epoch, value] over the validation records. */
export function valCurves(ms: readonly EvalMetrics[]): Partial<Record<MetricKey, [number, number][]>> {
  const out: Partial<Record<MetricKey, [number, number][]>> = {};
  for (const k of METRIC_KEYS) {
    const pts = ms.filter((m) => m.split === 'val' && typeof m[k] === 'number').map((m): [number, number] => [m.epoch, m[k]!]);
    if (pts.length) out[k] = pts;
  }
  return out;
}

/** Whether `a` beats `b` on `metric`. */
export function better(metric: MetricKey, a: number, b: number): boolean {
  return LOWER_IS_BETTER.includes(metric) ? a < b : a > b;
}
