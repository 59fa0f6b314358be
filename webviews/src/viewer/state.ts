/** What the viewer persists across hide/show and reload (vscode getState/setState). */
import type { LayoutName } from '../../../server/src/protocol/viewer';
import type { ColormapName } from '../common/render/colormap';
import type { Vec3, ViewName } from '../common/render/orientation';
import type { ZoomPan } from '../common/render/viewTransform';
import type { WindowLevel } from '../common/render/window';
import { getState, setState } from '../common/vscodeApi';

export interface ViewerState {
  version: 1;
  layout: LayoutName;
  /** The view keyboard slicing applies to. */
  active: ViewName;
  /** The crosshair, in voxel indices; every view slices through it. */
  cursor: Vec3;
  frame: number;
  window?: WindowLevel;
  /** 'auto', a CT preset name, or 'custom' after a drag. */
  preset: string;
  colormap: ColormapName;
  zoomPan: Record<ViewName, ZoomPan>;
  showHeader: boolean;
  showOverlays: boolean;
  heat: { opacity: number; threshold: number; colormap: ColormapName; visible: boolean };
  labels: { opacity: number; path?: string; hidden: number[]; colors: Record<string, string>; visible: boolean };
}

export function defaultState(): ViewerState {
  const zp = (): ZoomPan => ({ zoom: 1, panX: 0, panY: 0 });
  return {
    version: 1,
    layout: 'grid',
    active: 'axial',
    cursor: [-1, -1, -1],
    frame: 0,
    preset: 'auto',
    colormap: 'gray',
    zoomPan: { axial: zp(), coronal: zp(), sagittal: zp() },
    showHeader: false,
    showOverlays: true,
    heat: { opacity: 0.5, threshold: 0.2, colormap: 'jet', visible: true },
    labels: { opacity: 0.5, hidden: [], colors: {}, visible: true },
  };
}

export function restoreState(): ViewerState {
  const s = getState<Partial<ViewerState>>();
  const d = defaultState();
  if (!s || s.version !== 1) return d;
  return { ...d, ...s, zoomPan: { ...d.zoomPan, ...s.zoomPan }, heat: { ...d.heat, ...s.heat }, labels: { ...d.labels, ...s.labels } };
}

let timer: ReturnType<typeof setTimeout> | undefined;
/** Saves at most every 150 ms (scrolling fires many changes). */
export function saveState(s: ViewerState): void {
  if (timer) return;
  timer = setTimeout(() => {
    timer = undefined;
    setState(s);
  }, 150);
}

export function saveStateNow(s: ViewerState): void {
  if (timer) clearTimeout(timer);
  timer = undefined;
  setState(s);
}
