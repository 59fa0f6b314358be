import type { ComputeStatus } from '../protocol';

/** Lines a person reads: what runs, on what, and why not something better. */
export function formatComputeStatus(s: ComputeStatus): string[] {
  const lines = [`backend:  ${s.backend}${s.requested !== 'auto' ? ` (requested: ${s.requested})` : ''}`, `device:   ${s.device}`];
  if (s.gpu) {
    lines.push(`adapter:  ${s.gpu.vendor} / ${s.gpu.architecture}${s.gpu.description ? ` (${s.gpu.description})` : ''}`);
    for (const [k, v] of Object.entries(s.gpu.limits)) lines.push(`  ${k}: ${v}`);
  }
  for (const [k, v] of Object.entries(s.details)) lines.push(`${k}: ${v}`);
  lines.push('versions: ' + Object.entries(s.versions).map(([k, v]) => `${k} ${v}`).join(', '));
  if (s.skipped.length) {
    lines.push('not used:');
    for (const k of s.skipped) lines.push(`  ${k.backend.padEnd(15)}${k.reason}`);
  }
  return lines;
}
