/**
 * What the panel says about a run, computed once for the list and the detail so they agree:
 * one entry per run folder (a resumed run is a new job on the same folder), the epoch, the ETA,
 * and which curves go on which chart.
 */
import type { EvalMetrics, PanelJob } from '../../../server/src/protocol';

/**
 * The jobs to list, newest first: per run folder only its latest job (the resumed one, not the
 * attempt it continued). `jobs` is in arrival order, so a later job of the same folder wins.
 */
export function latestPerRun(jobs: Iterable<PanelJob>): PanelJob[] {
  const byRun = new Map<string, PanelJob>();
  for (const j of jobs) byRun.set(j.info.runDir || `job:${j.info.id}`, j);
  return [...byRun.values()].sort((a, b) => String(b.info.createdAt).localeCompare(String(a.info.createdAt)));
}

/** The job shown for `id`: the latest job of its run folder (a stale selection follows the resume). */
export function shownJob(jobs: Iterable<PanelJob>, id: string | undefined): PanelJob | undefined {
  const all = [...jobs];
  const j = all.find((x) => x.info.id === id);
  if (!j || !j.info.runDir) return j;
  return latestPerRun(all).find((x) => x.info.runDir === j.info.runDir) ?? j;
}

/** "epoch 4/6": the epoch in progress while the job streams progress, else the epochs done. */
export function epochOf(j: PanelJob): { epoch: number; epochs: number } | undefined {
  const live = j.info.state === 'running' && j.progress;
  const epoch = live ? j.progress!.epoch : j.info.epoch;
  const epochs = live ? j.progress!.epochs : j.info.epochs;
  return typeof epochs === 'number' && epochs > 0 ? { epoch: Number(epoch) || 0, epochs } : undefined;
}

/** Seconds as a person reads them: "45 s", "3 min 05 s", "1 h 02 min". */
export function duration(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Method terms that are settings of the schedule, not losses: drawn on their own axes. */
export const SCHEDULE_TERMS = ['lr', 'stage', 'phase'] as const;
const isSchedule = (k: string) => (SCHEDULE_TERMS as readonly string[]).includes(k);

export type Points = [number, number][];

/** Training loss per epoch: train-split records, else the `trainLoss` a method reports with val. */
export function trainLoss(ms: EvalMetrics[]): Points {
  const train = ms.filter((m) => m.split === 'train' && typeof m.loss === 'number').map((m) => [m.epoch, m.loss!] as [number, number]);
  if (train.length) return train;
  return ms.filter((m) => m.split === 'val' && typeof m.extra?.trainLoss === 'number').map((m) => [m.epoch, m.extra!.trainLoss!]);
}

/** A metric of the val split per epoch. */
export function valSeries(ms: EvalMetrics[], key: 'loss' | 'balancedAccuracy' | 'meanClassError'): Points {
  return ms.filter((m) => m.split === 'val' && typeof m[key] === 'number').map((m) => [m.epoch, m[key] as number]);
}

/** A method term per epoch (train or val records; the train loss is on the loss chart already). */
function term(ms: EvalMetrics[], k: string): Points {
  return ms.filter((m) => m.split !== 'test' && typeof m.extra?.[k] === 'number').map((m) => [m.epoch, m.extra![k]!]);
}

/** The method's terms, split into losses (one chart, one axis) and schedule settings (an axis each). */
export function methodTerms(ms: EvalMetrics[], max = 4): { losses: { name: string; points: Points }[]; schedule: { name: string; points: Points }[] } {
  const keys = [...new Set(ms.flatMap((m) => Object.keys(m.extra ?? {})))].filter((k) => k !== 'trainLoss');
  return {
    losses: keys.filter((k) => !isSchedule(k)).slice(0, max).map((name) => ({ name, points: term(ms, name) })),
    schedule: keys.filter(isSchedule).map((name) => ({ name, points: term(ms, name) })),
  };
}
