import { Type, type Static } from '@sinclair/typebox';
import { FromServer, notification, request } from './defs';
import { NoParams, OneOf, PathParam } from './limits';

/** Names of the compute backends, best first (DESIGN.md, "backend ladder"). */
export const BACKEND_LADDER = ['tensorflow-gpu', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_LADDER)[number];
export const BackendPreference = OneOf(['auto', ...BACKEND_LADDER] as const);
export type BackendPreference = Static<typeof BackendPreference>;

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  /** Runs on the CPU (SwiftShader, llvmpipe): slower than wasm, never picked by `auto`. */
  software: boolean;
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
  /** On a GPU backend: the adapter's name (the status bar shows which GPU trains). */
  gpu?: string;
  message?: string;
}

/** client -> server: which backend is in use, and why not a better one. */
export const ComputeStatusRequest = request<typeof NoParams, ComputeStatus>('medstudio/computeStatus', NoParams);

/** server -> client: the server's lifecycle, for the status bar. */
export const ServerStateNotification = notification('medstudio/serverState', FromServer<ServerStateParams>());

/** Options the client passes in `initializationOptions` (checked at initialize). */
export const ServerInitOptions = Type.Object(
  {
    backend: BackendPreference,
    /** 0 = let the engine decide. */
    threads: Type.Integer({ minimum: 0, maximum: 1024 }),
    /** VS Code workspace trust: no training or file writes until the user trusts the folder. */
    trusted: Type.Boolean(),
    /**
     * The extension's own folder for decoded volumes (viewer/decode writes there). With the
     * workspace folders, the only place the server reads or writes files.
     */
    cacheDir: Type.Optional(PathParam),
  },
  { additionalProperties: false },
);
export type ServerInitOptions = Static<typeof ServerInitOptions>;

/** client -> server: the user granted workspace trust. */
export const WorkspaceTrustedNotification = notification('medstudio/workspaceTrusted', NoParams);
