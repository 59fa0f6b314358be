import * as crypto from 'node:crypto';

/**
 * A run id that sorts by start time and says what ran: `20261126-0712-care-ab12`. The suffix is
 * random (not seeded): two runs of the same experiment in the same minute must not collide.
 */
export function newRunId(method: string, now: Date = new Date(), suffix: string = crypto.randomBytes(2).toString('hex')): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}`;
  const slug = method.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'run';
  return `${stamp}-${slug}-${suffix}`;
}
