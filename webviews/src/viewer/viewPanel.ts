/**
 * One slice view (axial, coronal or sagittal): a canvas drawn with the 2D context (works where
 * WebGL2 does not), orientation letters, a slice slider, and the mouse gestures: click sets
 * the crosshair, drag sets window/level, shift/middle-drag pans, wheel scrolls slices,
 * ctrl+wheel zooms.
 */
import { renderSlice, newSliceImage, type OverlayLayer, type SliceImage } from '../common/render/slice';
import { obliqueDegrees, OBLIQUE_TOLERANCE_DEG, viewGeometry, viewToVoxel, voxelToView, type Vec3, type ViewGeometry, type ViewName } from '../common/render/orientation';
import type { VolumeHeader } from '../../../server/src/protocol/viewer';
import { canvasToSlice, placeSlice, sliceToCanvas, zoomAt, type Placement, type ZoomPan } from '../common/render/viewTransform';
import type { WindowLevel } from '../common/render/window';
import type { Volume } from '../common/render/volume';
import { el } from './dom';

export interface ViewHost {
  volume(): Volume;
  cursor(): Vec3;
  frame(): number;
  window(): WindowLevel;
  lut(): Uint8Array;
  overlays(): readonly OverlayLayer[];
  /** Changes whenever the slice pixels would change for the same slice index. */
  renderKey(): string;
  zoomPan(view: ViewName): ZoomPan;
  setZoomPan(view: ViewName, zp: ZoomPan): void;
  setCursor(c: Vec3, from: ViewName): void;
  setSlice(view: ViewName, slice: number): void;
  startWindowDrag(): void;
  dragWindow(dx: number, dy: number): void;
  hover(voxel: Vec3 | undefined): void;
  activate(view: ViewName): void;
  maximize(view: ViewName): void;
  crosshairColor(): string;
}

/** PNG/JPEG photographs: pixels with no anatomical orientation (no view name, no A/P/R/L). */
export const isPhotograph = (h: Pick<VolumeHeader, 'meta'>): boolean => h.meta.format === 'PNG' || h.meta.format === 'JPEG';

/** The crosshair: a bright line on a dark halo, visible on any grey level and any theme. */
const CROSSHAIR_HALO = 'rgba(0, 0, 0, 0.75)';

export class ViewPanel {
  readonly root: HTMLDivElement;
  readonly canvas: HTMLCanvasElement;
  private readonly slider: HTMLInputElement;
  private readonly sliceLabel: HTMLSpanElement;
  private readonly letters: Record<'left' | 'right' | 'top' | 'bottom', HTMLDivElement>;
  private readonly nameEl: HTMLDivElement;
  private readonly obliqueEl: HTMLDivElement;
  private geom!: ViewGeometry;
  private image: SliceImage | undefined;
  private readonly buffer = document.createElement('canvas');
  private placement: Placement | undefined;
  /** What the buffer holds, so scrolling one view does not re-render the other two. */
  private drawnKey = '';

  constructor(
    readonly view: ViewName,
    private readonly host: ViewHost,
  ) {
    this.canvas = el('canvas', { tabindex: 0, 'aria-label': `${view} view`, 'data-view': view });
    this.slider = el('input', { type: 'range', min: 0, max: 0, step: 1, 'aria-label': `${view} slice` });
    this.sliceLabel = el('span');
    const letter = (edge: string) => el('div', { class: `orient ${edge}`, 'data-edge': edge });
    this.letters = { left: letter('left'), right: letter('right'), top: letter('top'), bottom: letter('bottom') };
    this.nameEl = el('div', { class: 'name', text: view });
    this.obliqueEl = el('div', { class: 'oblique hidden', role: 'note' });
    this.root = el(
      'div',
      { class: 'view', 'data-view': view },
      this.canvas,
      this.nameEl,
      this.obliqueEl,
      ...Object.values(this.letters),
      el('div', { class: 'footer' }, this.slider, this.sliceLabel),
    );
    this.slider.addEventListener('input', () => this.host.setSlice(this.view, Number(this.slider.value)));
    this.wireMouse();
  }

  /** Call when the volume changes. */
  setVolume(v: Volume): void {
    this.geom = viewGeometry(v.header, this.view);
    this.image = newSliceImage(this.geom.width, this.geom.height);
    this.buffer.width = this.geom.width;
    this.buffer.height = this.geom.height;
    this.slider.max = String(this.geom.depth - 1);
    const photo = isPhotograph(v.header);
    for (const edge of ['left', 'right', 'top', 'bottom'] as const) this.letters[edge].textContent = photo ? '' : this.geom.labels[edge];
    this.nameEl.textContent = photo ? '' : this.view;
    const tilt = photo ? 0 : obliqueDegrees(v.header.direction);
    const oblique = tilt > OBLIQUE_TOLERANCE_DEG;
    this.obliqueEl.classList.toggle('hidden', !oblique);
    this.obliqueEl.textContent = oblique ? `oblique ${tilt.toFixed(1)}°: voxel axes, letters approximate` : '';
  }

  geometry(): ViewGeometry {
    return this.geom;
  }

  /** Draws the current slice; returns the time it took (ms). */
  draw(): number {
    const t0 = performance.now();
    const rect = this.canvas.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(rect.width * dpr));
    const h = Math.max(1, Math.round(rect.height * dpr));
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const g = this.geom;
    const cur = voxelToView(g, this.host.cursor());
    const slice = cur.slice;
    this.slider.value = String(slice);
    this.sliceLabel.textContent = `${slice + 1} / ${g.depth}`;
    const key = `${slice}|${this.host.renderKey()}`;
    if (key !== this.drawnKey) {
      const img = renderSlice(this.host.volume(), g, slice, this.host.frame(), this.host.window(), this.host.lut(), this.host.overlays(), this.image);
      const bctx = this.buffer.getContext('2d')!;
      bctx.putImageData(new ImageData(img.data as Uint8ClampedArray<ArrayBuffer>, img.width, img.height), 0, 0);
      this.drawnKey = key;
    }
    const ctx = this.canvas.getContext('2d')!;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, w, h);
    const p = placeSlice(w, h, g.width, g.height, g.pixelWidth, g.pixelHeight, this.scaledZoomPan(dpr));
    this.placement = p;
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(this.buffer, p.left, p.top, g.width * p.scaleX, g.height * p.scaleY);
    // Crosshair through the cursor's pixel centre.
    const c = sliceToCanvas(p, cur.u, cur.v);
    const line = () => {
      ctx.beginPath();
      ctx.moveTo(Math.round(c.x) + 0.5, p.top);
      ctx.lineTo(Math.round(c.x) + 0.5, p.top + g.height * p.scaleY);
      ctx.moveTo(p.left, Math.round(c.y) + 0.5);
      ctx.lineTo(p.left + g.width * p.scaleX, Math.round(c.y) + 0.5);
      ctx.stroke();
    };
    ctx.strokeStyle = CROSSHAIR_HALO;
    ctx.lineWidth = 3 * Math.max(1, dpr);
    line();
    ctx.strokeStyle = this.host.crosshairColor();
    ctx.lineWidth = Math.max(1, dpr);
    line();
    return performance.now() - t0;
  }

  private scaledZoomPan(dpr: number): ZoomPan {
    const zp = this.host.zoomPan(this.view);
    return { zoom: zp.zoom, panX: zp.panX * dpr, panY: zp.panY * dpr };
  }

  /** Canvas CSS point -> voxel (clamped), on the current slice. */
  voxelAt(x: number, y: number): Vec3 | undefined {
    if (!this.placement) return undefined;
    const dpr = window.devicePixelRatio || 1;
    const { u, v } = canvasToSlice(this.placement, x * dpr, y * dpr);
    const g = this.geom;
    const ui = Math.round(u);
    const vi = Math.round(v);
    if (ui < 0 || vi < 0 || ui >= g.width || vi >= g.height) return undefined;
    return viewToVoxel(g, ui, vi, voxelToView(g, this.host.cursor()).slice);
  }

  private wireMouse(): void {
    const c = this.canvas;
    type Drag = { mode: 'pending' | 'window' | 'pan'; x: number; y: number; zp: ZoomPan };
    let drag: Drag | undefined;
    c.addEventListener('contextmenu', (e) => e.preventDefault());
    // Tabbing to a view makes it the one the keys slice.
    c.addEventListener('focus', () => this.host.activate(this.view));
    c.addEventListener('pointerdown', (e) => {
      c.focus();
      this.host.activate(this.view);
      c.setPointerCapture(e.pointerId);
      const pan = e.button === 1 || e.shiftKey;
      drag = { mode: pan ? 'pan' : 'pending', x: e.offsetX, y: e.offsetY, zp: { ...this.host.zoomPan(this.view) } };
      e.preventDefault();
    });
    c.addEventListener('pointermove', (e) => {
      this.host.hover(this.voxelAt(e.offsetX, e.offsetY));
      if (!drag) return;
      const dx = e.offsetX - drag.x;
      const dy = e.offsetY - drag.y;
      if (drag.mode === 'pending' && Math.hypot(dx, dy) > 3) {
        drag.mode = 'window';
        this.host.startWindowDrag();
      }
      if (drag.mode === 'window') this.host.dragWindow(dx, dy);
      else if (drag.mode === 'pan') this.host.setZoomPan(this.view, { ...drag.zp, panX: drag.zp.panX + dx, panY: drag.zp.panY + dy });
    });
    const end = (e: PointerEvent) => {
      if (drag?.mode === 'pending') {
        const v = this.voxelAt(e.offsetX, e.offsetY);
        if (v) this.host.setCursor(v, this.view);
      }
      drag = undefined;
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', () => (drag = undefined));
    c.addEventListener('pointerleave', () => this.host.hover(undefined));
    c.addEventListener('dblclick', () => this.host.maximize(this.view));
    c.addEventListener(
      'wheel',
      (e) => {
        e.preventDefault();
        if (e.ctrlKey || e.metaKey) {
          const rect = c.getBoundingClientRect();
          const zp = zoomAt(this.host.zoomPan(this.view), e.deltaY < 0 ? 1.15 : 1 / 1.15, e.offsetX, e.offsetY, rect.width, rect.height);
          this.host.setZoomPan(this.view, zp);
          return;
        }
        const slice = voxelToView(this.geom, this.host.cursor()).slice;
        // Wheel up moves towards the top of the screen stack (the next slice), one per notch.
        this.host.setSlice(this.view, slice + (e.deltaY < 0 ? 1 : -1));
      },
      { passive: false },
    );
  }
}
