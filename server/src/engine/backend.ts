/**
 * The backend ladder (DESIGN.md): tensorflow-gpu, tensorflow, webgpu, wasm, cpu. Picks the
 * best one that loads and works here, records why each better one was skipped, and reports
 * it as a ComputeStatus. Only the server and the CLI import this (never the extension host).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// Training needs every op's gradient; tfjs-core registers them only when asked.
import './registerGradients';
import * as os from 'node:os';
import { BACKEND_LADDER, type BackendName, type BackendPreference, type ComputeStatus } from '../protocol';
import { candidates, type BackendAttempt } from './backendCandidates';

export interface SelectOptions {
  backend?: BackendPreference;
  threads?: number;
}

let current: Promise<ComputeStatus> | undefined;

/** Selects (once per process) and returns the compute status. */
export function ensureBackend(opts: SelectOptions = {}): Promise<ComputeStatus> {
  current ??= selectBackend(opts);
  return current;
}

export async function selectBackend(opts: SelectOptions = {}): Promise<ComputeStatus> {
  const requested: BackendPreference = opts.backend ?? 'auto';
  // A requested rung that cannot start falls back down the ladder (webgpu -> wasm -> cpu), never up.
  const order: BackendName[] =
    requested === 'auto' ? [...BACKEND_LADDER] : BACKEND_LADDER.slice(BACKEND_LADDER.indexOf(requested));
  const skipped: ComputeStatus['skipped'] = [];
  if (requested !== 'auto') {
    for (const b of BACKEND_LADDER) {
      if (b !== requested && BACKEND_LADDER.indexOf(b) < BACKEND_LADDER.indexOf(requested)) {
        skipped.push({ backend: b, reason: `medstudio.compute.backend is set to '${requested}'` });
      }
    }
  }
  for (const name of order) {
    let attempt: BackendAttempt;
    try {
      attempt = await candidates[name]({ threads: opts.threads ?? 0, requested });
    } catch (e) {
      attempt = { ok: false, reason: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
    }
    if (attempt.ok) {
      return {
        backend: name,
        requested,
        device: attempt.device,
        versions: { 'tfjs-core': tf.version_core, node: process.versions.node, ...attempt.versions },
        skipped,
        details: attempt.details ?? {},
        gpu: attempt.gpu,
        pid: process.pid,
      };
    }
    skipped.push({ backend: name, reason: attempt.reason });
  }
  throw new Error(`no compute backend could start: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

export function cpuDescription(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model?.trim() ?? 'CPU'} (${os.availableParallelism()} cores)`;
}
