/** Overlays the viewer holds (heatmaps from explanations, label maps) and their layers. */
import type { OverlayMessage } from '../../../server/src/protocol/viewer';
import { colormapLut, labelColor, parseHex, type ColormapName } from '../common/render/colormap';
import type { OverlayLayer } from '../common/render/slice';
import type { Volume } from '../common/render/volume';
import type { ViewerState } from './state';

export interface HeatOverlay {
  id: string;
  kind: 'heatmap';
  name: string;
  dims: number[];
  data: Float32Array;
  final: boolean;
  caption?: string;
}

export interface LabelOverlay {
  id: string;
  kind: 'labels';
  name: string;
  volume: Volume;
  /** Label values present (0 excluded), ascending. */
  values: number[];
}

export type Overlay = HeatOverlay | LabelOverlay;

export function decodeFloat32(b64: string): Float32Array {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer, 0, bytes.length >> 2);
}

export function heatFromMessage(m: Extract<OverlayMessage, { kind: 'heatmap' }>): HeatOverlay {
  const data = decodeFloat32(m.heat);
  const n = m.dims.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`heatmap '${m.name}' has ${data.length} values for dims ${m.dims.join('x')}`);
  normaliseHeat(data);
  return { id: m.id, kind: 'heatmap', name: m.name, dims: m.dims, data, final: m.final, caption: m.caption };
}

/** Grad-CAM heat is already in [0, 1]; a kernel-interpretation image is not: min-max it. */
export function normaliseHeat(d: Float32Array): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const x of d) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  if (lo >= 0 && hi <= 1) return;
  const k = hi > lo ? 1 / (hi - lo) : 0;
  for (let i = 0; i < d.length; i++) d[i] = (d[i]! - lo) * k;
}

/** Distinct non-zero values of a label volume (at most 256 listed). */
export function labelValues(v: Volume): number[] {
  const seen = new Set<number>();
  const d = v.data;
  for (let i = 0; i < d.length && seen.size < 256; i++) if (d[i] !== 0) seen.add(d[i]!);
  return [...seen].sort((a, b) => a - b);
}

export function layersFor(overlays: readonly Overlay[], s: ViewerState): OverlayLayer[] {
  const out: OverlayLayer[] = [];
  for (const o of overlays) {
    if (o.kind === 'labels') {
      if (!s.labels.visible) continue;
      const colors = new Map<number, [number, number, number]>();
      for (const v of o.values) colors.set(v, s.labels.colors[v] ? parseHex(s.labels.colors[v]) : labelColor(v));
      const h = o.volume.header;
      out.push({ kind: 'labels', dims: [...h.dims], data: o.volume.data, opacity: s.labels.opacity, colors, hidden: new Set(s.labels.hidden) });
    } else {
      if (!s.heat.visible) continue;
      out.push({ kind: 'heatmap', dims: o.dims, data: o.data, opacity: s.heat.opacity, threshold: s.heat.threshold, lut: colormapLut(s.heat.colormap as ColormapName) });
    }
  }
  // Labels under heat: a heatmap is what the person just asked for.
  return out.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'labels' ? -1 : 1));
}
