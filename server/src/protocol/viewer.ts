/**
 * Messages of the volume viewer: the webview <-> extension host maps (WebviewChannel) and the
 * one server request that decodes formats the webview does not parse itself (DICOM, NRRD,
 * MetaImage) with itk-wasm. Type-only apart from the request constant: the webview imports it.
 */
import { request } from './defs';
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

/** webview -> host requests. */
export type ViewerHostRequests = {
  /** The webview is up: what to show. */
  ready: { params: null; result: ViewerInit };
  /** A workspace-relative or absolute path -> a webview URL; refused outside the workspace and the file's folder. */
  resolve: { params: { path: string }; result: { url: string; name: string } };
  /** Lets the person pick a label map; null when cancelled. */
  pickLabels: { params: null; result: { path: string; source: VolumeSource } | null };
  /** Runs "Explain This Image" for this viewer (the host asks for a run). */
  explain: { params: null; result: { ok: boolean; message?: string } };
};

/** webview -> host events. */
export type ViewerHostEvents = {
  /** The first slice is on screen (ms since the webview script started). */
  rendered: { ms: number; dims: number[]; voxelType: string };
  /** Loading failed; the message is also shown in the webview. */
  failed: { message: string };
};

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
export const ViewerDecodeRequest = request<{ path: string; outFile: string; maxBytes: number }, { header: VolumeHeader; ms: number }>(
  'medstudio/viewer/decode',
);
