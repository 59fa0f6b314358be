/**
 * Where a slice sits in its canvas: fitted (aspect from the voxel spacing), then zoomed about
 * the centre and panned. Screen <-> slice pixel conversions for clicks, readout and crosshair.
 */
export interface ZoomPan {
  zoom: number;
  /** Pan in canvas pixels. */
  panX: number;
  panY: number;
}

export interface Placement {
  /** Canvas pixels per slice pixel along x and y. */
  scaleX: number;
  scaleY: number;
  /** Canvas position of the slice's top-left corner. */
  left: number;
  top: number;
}

export function placeSlice(canvasW: number, canvasH: number, sliceW: number, sliceH: number, pixelW: number, pixelH: number, zp: ZoomPan): Placement {
  const physW = sliceW * pixelW;
  const physH = sliceH * pixelH;
  const fit = Math.min(canvasW / physW, canvasH / physH) * zp.zoom;
  const scaleX = fit * pixelW;
  const scaleY = fit * pixelH;
  return { scaleX, scaleY, left: (canvasW - sliceW * scaleX) / 2 + zp.panX, top: (canvasH - sliceH * scaleY) / 2 + zp.panY };
}

/** Canvas point -> slice pixel coordinates (pixel centres on integers). */
export function canvasToSlice(p: Placement, x: number, y: number): { u: number; v: number } {
  return { u: (x - p.left) / p.scaleX - 0.5, v: (y - p.top) / p.scaleY - 0.5 };
}

/** Slice pixel centre -> canvas point. */
export function sliceToCanvas(p: Placement, u: number, v: number): { x: number; y: number } {
  return { x: p.left + (u + 0.5) * p.scaleX, y: p.top + (v + 0.5) * p.scaleY };
}

/** Zooms by `factor` keeping the canvas point (x, y) fixed. */
export function zoomAt(zp: ZoomPan, factor: number, x: number, y: number, canvasW: number, canvasH: number): ZoomPan {
  const zoom = Math.min(64, Math.max(0.1, zp.zoom * factor));
  const f = zoom / zp.zoom;
  const cx = canvasW / 2 + zp.panX;
  const cy = canvasH / 2 + zp.panY;
  return { zoom, panX: zp.panX + (x - cx) * (1 - f), panY: zp.panY + (y - cy) * (1 - f) };
}
