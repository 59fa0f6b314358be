/**
 * Picks the native kernels' thread count while training, from measured step times. The OpenMP
 * threads wait for each other at the end of every kernel; when other processes occupy the cores
 * a thread that is descheduled stalls the whole team for a scheduler slice, thousands of times
 * a step. Measured on the 2-core host (U-Net step, 2 patches 40x56x40) with 4 busy processes
 * beside it: 2 threads over 60 s a step, 1 thread 1.1-1.3 s; with the cores free 2 threads win.
 * So every `interval` steps the governor tries the neighbouring count (half or double) for a few
 * steps, after one warm-up step the first time (new oneDNN plans are made per thread count),
 * keeps it when it is clearly faster, and otherwise tries again twice as late (a probe step twice
 * as slow as the current ones ends the probe at once). Only when the thread count is
 * automatic (`compute.threads` 0): an explicit setting is left alone.
 */

export interface GovernorOptions {
  /** Steps between probes at first and after a switch. */
  interval?: number;
  /** Longest gap between probes. */
  maxInterval?: number;
  /** Timed steps per probe (and of the current count to compare with). */
  probeSteps?: number;
  /** The probe must be this much faster (fraction of the current median) to switch. */
  margin?: number;
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)]! : NaN;
};

export class ThreadGovernor {
  private current: number;
  private base: number;
  private readonly recent: number[] = [];
  private readonly probe: number[] = [];
  private mode: 'run' | 'warm' | 'probe' = 'run';
  private countdown: number;
  private gap: number;
  private up = false;
  /** Counts whose plans exist (their first step is no longer a warm-up). */
  private readonly warmed = new Set<number>();
  private readonly o: Required<GovernorOptions>;

  constructor(
    readonly max: number,
    private readonly set: (threads: number) => void,
    private readonly log: (message: string) => void = () => undefined,
    o: GovernorOptions = {},
  ) {
    this.o = { interval: 20, maxInterval: 640, probeSteps: 3, margin: 0.15, ...o };
    this.current = this.base = max;
    set(max);
    this.warmed.add(max);
    this.gap = this.countdown = this.o.interval;
  }

  get threads(): number {
    return this.current;
  }

  /** The next count to try from `t`: alternately half and double, within [1, max]. */
  private neighbour(t: number): number {
    const down = Math.max(1, Math.floor(t / 2));
    const upward = Math.min(this.max, t * 2);
    if (down === t) return upward;
    if (upward === t) return down;
    this.up = !this.up;
    return this.up ? upward : down;
  }

  private use(t: number): void {
    this.current = t;
    this.set(t);
  }

  /** Records a step's wall time (ms); may change the thread count for the next step. */
  stepDone(ms: number): void {
    if (this.max <= 1) return;
    if (this.mode === 'warm') {
      this.mode = 'probe';
      return;
    }
    if (this.mode === 'probe') {
      this.probe.push(ms);
      const was = median(this.recent);
      // A probe step twice as slow settles it at once: under load a losing probe is expensive.
      if (this.probe.length < this.o.probeSteps && ms < 2 * was) return;
      const now = median(this.probe);
      this.probe.length = 0;
      this.recent.length = 0;
      this.mode = 'run';
      if (now < (1 - this.o.margin) * was) {
        this.log(`native kernels: ${this.current} thread(s) now (step ${(now / 1000).toFixed(2)} s vs ${(was / 1000).toFixed(2)} s with ${this.base}${this.current < this.base ? ': other work is using the cores' : ''})`);
        this.base = this.current;
        this.gap = this.o.interval;
      } else {
        this.use(this.base);
        this.gap = Math.min(this.o.maxInterval, this.gap * 2);
      }
      this.countdown = this.gap;
      return;
    }
    this.recent.push(ms);
    if (this.recent.length > this.o.probeSteps) this.recent.shift();
    if (--this.countdown > 0 || this.recent.length < this.o.probeSteps) return;
    const next = this.neighbour(this.base);
    this.use(next);
    this.mode = this.warmed.has(next) ? 'probe' : 'warm';
    this.warmed.add(next);
  }
}

let factory: ((log: (m: string) => void) => ThreadGovernor) | undefined;

/** The backend registers how to change the native thread count when it is automatic. */
export function enableThreadGovernor(max: number, set: (threads: number) => void): void {
  factory = max > 1 ? (log) => new ThreadGovernor(max, set, log) : undefined;
}

/** A governor for one training run (it starts at every thread; the count it leaves serves the run's evaluation), or undefined when the count is fixed. */
export function threadGovernor(log: (m: string) => void): ThreadGovernor | undefined {
  return factory?.(log);
}
