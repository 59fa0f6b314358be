/**
 * When to restart a compute server that died: after the n-th failure within the window, wait
 * `delaysMs[n]`; once the delays are used up, give up (the user gets one message and a Restart
 * action instead of a crash loop). Pure, so that it is unit-tested without VS Code.
 */
export interface RestartPolicyOptions {
  delaysMs: readonly number[];
  windowMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { delaysMs: [500, 1000, 2000, 4000], windowMs: 3 * 60_000 };

export class RestartPolicy {
  private failures: number[] = [];

  constructor(
    private readonly opts: RestartPolicyOptions = DEFAULT_RESTART_POLICY,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure; returns how long to wait before the next start, or undefined to give up. */
  onFailure(): number | undefined {
    const t = this.now();
    this.failures = this.failures.filter((f) => t - f < this.opts.windowMs);
    this.failures.push(t);
    return this.opts.delaysMs[this.failures.length - 1];
  }

  /** Failures within the window. */
  get count(): number {
    return this.failures.length;
  }

  /** A person asked for a restart: start counting afresh. */
  reset(): void {
    this.failures = [];
  }
}

/**
 * The line of a dead server's output that says why: Node's uncaught-error line ("Error: Cannot
 * find module 'x'", "TypeError: ..."), else the last line the server printed.
 */
export function failureCause(lines: readonly string[]): string | undefined {
  const error = lines.find((l) => /^\s*(\w+)?Error(\s\[\w+\])?: /.test(l));
  if (error) return error.trim();
  const last = [...lines].reverse().find((l) => l.trim() && !/^\s*at /.test(l) && !l.startsWith('['));
  return last?.trim();
}
