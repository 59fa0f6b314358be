/**
 * The native thread-count governor from measured step times: it leaves the count alone while
 * fewer threads are not clearly faster (and then probes ever less often), drops to fewer threads
 * when the cores are taken by other work (the probe's first step, which builds new oneDNN plans,
 * is not counted), and goes back up when the cores free again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ThreadGovernor } from '../../../server/src/engine/threadGovernor';

/** Runs `steps` steps whose time is `ms(threads)`; returns the thread count at each step and what was set. */
function drive(g: ThreadGovernor, steps: number, ms: (threads: number, step: number) => number): number[] {
  const seen: number[] = [];
  for (let s = 0; s < steps; s++) {
    seen.push(g.threads);
    g.stepDone(ms(g.threads, s));
  }
  return seen;
}

test('on free cores the governor keeps every thread, probing fewer less and less often', () => {
  const set: number[] = [];
  const g = new ThreadGovernor(2, (n) => set.push(n), undefined, { interval: 10, maxInterval: 80, probeSteps: 3 });
  const seen = drive(g, 200, (t) => (t === 2 ? 500 : 900));
  assert.equal(g.threads, 2);
  const probes = seen.filter((t) => t === 1).length;
  // Probes (1 warm-up + 3 timed steps each) at gaps 10, 20, 40, 80, 80: far fewer than one step in ten.
  assert.ok(probes > 0 && probes <= 24, `${probes} probe steps`);
  assert.equal(set[0], 2, 'starts at every thread');
});

test('when other work takes the cores it drops to one thread, and returns to two once they are free', () => {
  const logs: string[] = [];
  const g = new ThreadGovernor(2, () => undefined, (m) => logs.push(m), { interval: 10, maxInterval: 40, probeSteps: 3 });
  // Busy host for 100 steps: 2 threads 9 s a step, 1 thread 1.2 s (the first step ever at a count builds its plans: 20 s).
  const built = new Set<number>();
  const busy = (t: number, s: number) => {
    const warm = built.has(t) ? 0 : 20_000;
    built.add(t);
    return warm + (s < 100 ? (t === 2 ? 9000 : 1200) : t === 2 ? 450 : 800);
  };
  const seen = drive(g, 300, busy);
  assert.ok(seen.slice(20, 100).filter((t) => t === 1).length > 60, 'mostly one thread while busy');
  assert.equal(g.threads, 2, 'back to two threads once the cores are free');
  assert.ok(logs.some((m) => /1 thread\(s\) now .*other work/.test(m)), logs.join('\n'));
  assert.ok(logs.some((m) => /2 thread\(s\) now/.test(m)), logs.join('\n'));
});

test('with one core nothing is probed', () => {
  const set: number[] = [];
  const g = new ThreadGovernor(1, (n) => set.push(n));
  drive(g, 100, () => 100);
  assert.deepEqual(set, [1]);
});
