import { notification, request } from './defs';

/** Names of the compute backends, best first (DESIGN.md, "backend ladder"). */
export const BACKEND_LADDER = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_LADDER)[number];
export type BackendPreference = 'auto' | BackendName;

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** Limits that matter for training (max buffer size, workgroup storage, ...). */
  limits: Record<string, number>;
}

export interface ComputeStatus {
  /** The backend that was picked and is in use. */
  backend: BackendName;
  requested: BackendPreference;
  /** Human-readable device: "CPU, 2 threads, wasm SIMD" or the GPU's name. */
  device: string;
  /** Package and runtime versions (tfjs-core, node, backend packages). */
  versions: Record<string, string>;
  /** Why each better backend was not used, in ladder order. */
  skipped: { backend: BackendName; reason: string }[];
  /** Extra facts about the picked backend (threads, SIMD, kernel pack). */
  details: Record<string, string | number | boolean>;
  gpu?: GpuAdapterInfo;
  /** Process id of the compute server (lets tests and users find it). */
  pid: number;
}

export type ServerState = 'starting' | 'ready' | 'error';

export interface ServerStateParams {
  state: ServerState;
  backend?: BackendName;
  /** Native kernels carrying the backend's heavy work, when loaded (e.g. 'oneDNN'). */
  kernels?: string;
  /** On wasm without them: why the native kernels are not loaded (the status bar says so). */
  kernelsMissing?: string;
  message?: string;
}

/** client -> server: which backend is in use, and why not a better one. */
export const ComputeStatusRequest = request<void, ComputeStatus>('medstudio/computeStatus');

/** server -> client: the server's lifecycle, for the status bar. */
export const ServerStateNotification = notification<ServerStateParams>('medstudio/serverState');

/** Options the client passes in `initializationOptions`. */
export interface ServerInitOptions {
  backend: BackendPreference;
  /** 0 = let the engine decide. */
  threads: number;
  /** VS Code workspace trust: no training or file writes until the user trusts the folder. */
  trusted: boolean;
}

/** client -> server: the user granted workspace trust. */
export const WorkspaceTrustedNotification = notification<Record<string, never>>('medstudio/workspaceTrusted');
