/**
 * Messages of the volume viewer: the webview <-> extension host maps (WebviewChannel) and the
 * one server request that decodes formats the webview does not parse itself (DICOM, NRRD,
 * MetaImage) with itk-wasm. Type-only apart from the request constant: the webview imports it.
 */
import { Type } from '@sinclair/typebox';
import { request, type EventsFrom, type RequestsFrom } from './defs';
import { ListOf, NameParam, Params, PathParam, TextParam } from './limits';
import type { Float32Base64 } from './explain';

export type VoxelType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/**
 * Geometry and layout of a decoded volume, ITK conventions: LPS world coordinates,
 * world = origin + direction * diag(spacing) * index, `direction` row-major 3x3 whose columns
 * are the voxel axes' directions. Voxels are x fastest, then y, z, t; components interleaved.
 */
export interface VolumeHeader {
  /** Voxels along i, j, k (a 2D image has k = 1). */
  dims: [number, number, number];
  /** Time points (4D); 1 for a 3D volume. */
  frames: number;
  /** 1 for scalar, 3 for RGB. */
  components: number;
  spacing: [number, number, number];
  origin: [number, number, number];
  direction: [number, number, number, number, number, number, number, number, number];
  voxelType: VoxelType;
  /** value = stored * slope + intercept (NIfTI scl_slope / scl_inter). */
  slope: number;
  intercept: number;
  /** 'CT', 'MR', ... when the file says so (DICOM 0008|0060), else undefined. */
  modality?: string;
  /** The window the file suggests (DICOM 0028|1050/1051), in real values. */
  defaultWindow?: { center: number; width: number };
  /** Name/value pairs for the header panel. */
  meta: Record<string, string>;
}

/** Where the webview gets the volume from. URLs are webview URIs the extension made. */
export type VolumeSource =
  /** NIfTI-1 (.nii or .nii.gz): parsed in the webview (fast path, no wasm). */
  | { kind: 'nifti'; url: string; name: string }
  /** Voxels already decoded by the server, little-endian, laid out as `header` says. */
  | { kind: 'raw'; url: string; name: string; header: VolumeHeader }
  /** PNG/JPEG: decoded by the browser's own image decoder. */
  | { kind: 'bitmap'; url: string; name: string };

export type LayoutName = 'axial' | 'coronal' | 'sagittal' | 'grid';

export interface ViewerInit {
  title: string;
  source: VolumeSource;
  /** Volumes with more voxel bytes than this are refused with a message. */
  maxBytes: number;
}

/** An overlay the host sends to the webview. */
export type OverlayMessage =
  | {
      id: string;
      kind: 'heatmap';
      name: string;
      /** Heat in [0, 1], x fastest; resampled (nearest) onto the image's voxel grid. */
      heat: Float32Base64;
      dims: number[];
      /** False while a kernel interpretation is still optimising. */
      final: boolean;
      caption?: string;
    }
  | { id: string; kind: 'labels'; name: string; source: VolumeSource };

/** webview -> host requests: the params each accepts (checked by the host where they arrive). */
export const ViewerHostRequestParams = {
  /** The webview is up: what to show. */
  ready: Type.Null(),
  /** A workspace-relative or absolute path -> a webview URL; refused outside the workspace and the file's folder. */
  resolve: Params({ path: PathParam }),
  /** Lets the person pick a label map; null when cancelled. */
  pickLabels: Type.Null(),
  /** Runs "Explain This Image" for this viewer (the host asks for a run). */
  explain: Type.Null(),
};
export type ViewerHostRequests = RequestsFrom<
  typeof ViewerHostRequestParams,
  {
    ready: ViewerInit;
    resolve: { url: string; name: string };
    pickLabels: { path: string; source: VolumeSource } | null;
    explain: { ok: boolean; message?: string };
  }
>;

/** webview -> host events. */
export const ViewerHostEventPayloads = {
  /** The first slice is on screen (ms since the webview script started). */
  rendered: Params({ ms: Type.Number({ minimum: 0 }), dims: ListOf(Type.Integer({ minimum: 0 }), 8), voxelType: NameParam }),
  /** Loading failed; the message is also shown in the webview. */
  failed: Params({ message: TextParam }),
};
export type ViewerHostEvents = EventsFrom<typeof ViewerHostEventPayloads>;

/** host -> webview requests. */
export type ViewerWebviewRequests = {
  /** What the viewer shows now (tests and "Explain" use it). */
  status: { params: null; result: { loaded: boolean; cursor: number[]; frame: number; overlays: string[] } };
};

/** host -> webview events. */
export type ViewerWebviewEvents = {
  overlay: OverlayMessage;
  removeOverlay: { id: string };
  notice: { level: 'info' | 'error'; message: string };
};

/**
 * client -> server: decode an image into `outFile` (raw voxels). A DICOM file brings the whole
 * series of its folder that it belongs to; a folder, its one series.
 */
export const ViewerDecodeParams = Params({
  path: PathParam,
  /** Inside the extension's decode cache (ServerInitOptions.cacheDir) or a workspace folder. */
  outFile: PathParam,
  /** Volumes with more voxel bytes are refused (at most 16 GiB). */
  maxBytes: Type.Integer({ minimum: 1, maximum: 16 * 1024 ** 3 }),
});
export const ViewerDecodeRequest = request<typeof ViewerDecodeParams, { header: VolumeHeader; ms: number }>('medstudio/viewer/decode', ViewerDecodeParams);
