/**
 * Peak resident memory of this process in MB: the kernel's high-water mark (VmHWM) where Linux
 * has one, which catches peaks between samples; elsewhere the current RSS.
 */
import * as fs from 'node:fs';

export function peakMemoryMB(): number {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    // not Linux
  }
  return process.memoryUsage().rss / 2 ** 20;
}
