/**
 * The viewer: one volume, three views in a single or 2x2 layout with a linked crosshair,
 * toolbar (layout, window presets, colormap, time), side panels, status readout, keyboard.
 * Draws on requestAnimationFrame so a burst of wheel events costs one frame.
 */
import type { LayoutName } from '../../../server/src/protocol/viewer';
import { COLORMAPS, colormapLut, type ColormapName } from '../common/render/colormap';
import { VIEWS, voxelToView, voxelToWorld, type Vec3, type ViewName } from '../common/render/orientation';
import type { OverlayLayer } from '../common/render/slice';
import type { ZoomPan } from '../common/render/viewTransform';
import { BYTES_PER_VOXEL, flatIndex, percentiles, valueAt, voxelBytes, type Volume } from '../common/render/volume';
import { autoWindow, CT_PRESETS, dragWindow, looksLikeCt, type WindowLevel } from '../common/render/window';
import { el, option } from './dom';
import { layersFor, type Overlay } from './overlays';
import { headerPanel, overlayPanel } from './panels';
import { saveState, type ViewerState } from './state';
import { isPhotograph, ViewPanel, type ViewHost } from './viewPanel';

export interface ViewerActions {
  pickLabels(): void;
  explain(): void;
}

/** Figures tests and the benchmark read (window.medstudioViewer). */
export interface ViewerStats {
  firstSliceMs: number;
  /** Voxel bytes that had arrived when the first slice was drawn (a streaming volume starts early). */
  firstSliceBytes: number;
  frameMs: number[];
  frames: number;
}

const HELP: [string, string][] = [
  ['Wheel, ↑ ↓, PgUp PgDn', 'slice'],
  ['Ctrl+wheel, + −', 'zoom'],
  ['Drag', 'window / level'],
  ['Shift+drag, middle drag', 'pan'],
  ['Click', 'move the crosshair'],
  ['Double-click', 'maximise / back to 2x2'],
  ['← →', 'time point (4D)'],
  ['1 2 3 4', 'axial, coronal, sagittal, 2x2'],
  ['R', 'reset zoom and pan'],
  ['A', 'auto window'],
];

const LAYOUTS: [LayoutName, string][] = [
  ['grid', '2x2'],
  ['axial', 'Axial'],
  ['coronal', 'Coronal'],
  ['sagittal', 'Sagittal'],
];

export class Viewer implements ViewHost {
  readonly root: HTMLElement;
  readonly stats: ViewerStats = { firstSliceMs: -1, firstSliceBytes: -1, frameMs: [], frames: 0 };
  private readonly panels: Record<ViewName, ViewPanel>;
  private readonly viewsEl: HTMLDivElement;
  private readonly help: HTMLDivElement;
  private readonly side: HTMLDivElement;
  private readonly status: HTMLDivElement;
  private readonly toolbar: HTMLDivElement;
  private overlayList: Overlay[] = [];
  private layers: OverlayLayer[] = [];
  private range: { min: number; max: number; p005: number; p995: number };
  private isCt: boolean;
  /** The window was chosen by the viewer (not restored, not set by the person): redo it once all data is in. */
  private windowAuto: boolean;
  /**
   * While the volume streams in, the axial view follows the slices as they arrive, up to the
   * slice it would show (the middle, or the restored one); any navigation stops it.
   */
  private followLoad: { target: number } | undefined;
  /** Bumped whenever every view must re-render its slice (data arrived, overlays changed). */
  private renderVersion = 0;
  private loadedBytes: number;
  private lastInvalidate = 0;
  private readonly windowRestored: boolean;
  private dirty = false;
  private dragStart: WindowLevel | undefined;
  private readonly is2d: boolean;
  private readonly onFirst: (ms: number) => void;

  /** `loadedBytes`: voxel bytes already in when the volume is still streaming (see complete()). */
  constructor(
    private vol: Volume,
    private readonly state: ViewerState,
    private readonly actions: ViewerActions,
    onFirstSlice: (ms: number) => void,
    loadedBytes = Infinity,
  ) {
    this.onFirst = onFirstSlice;
    this.loadedBytes = loadedBytes;
    this.windowRestored = !!state.window;
    this.windowAuto = !state.window;
    const h = vol.header;
    this.range = this.computeRange();
    this.isCt = looksLikeCt(h.modality, this.range.min, this.range.max);
    this.is2d = h.dims[2] === 1;
    // Restored state may come from another file: keep only what fits this one.
    const c = state.cursor;
    if (!(c[0] >= 0 && c[0] < h.dims[0] && c[1] >= 0 && c[1] < h.dims[1] && c[2] >= 0 && c[2] < h.dims[2])) {
      state.cursor = [h.dims[0] >> 1, h.dims[1] >> 1, h.dims[2] >> 1];
    }
    state.frame = Math.min(Math.max(0, state.frame), h.frames - 1);
    const loadedSlices = this.slicesIn();
    if (loadedSlices < h.dims[2] && state.cursor[2] >= loadedSlices) {
      this.followLoad = { target: state.cursor[2] };
      state.cursor = [state.cursor[0], state.cursor[1], Math.max(0, loadedSlices - 1)];
    }
    if (this.is2d) state.layout = 'axial';
    if (!state.window && h.components >= 3) {
      // Colour photographs: the full 8-bit range, no contrast stretch.
      state.window = { center: 127.5, width: 255 };
      state.preset = 'custom';
    }
    if (!state.window && h.defaultWindow) {
      // The window the file itself suggests (DICOM) wins over our guess.
      state.window = { ...h.defaultWindow };
      state.preset = 'custom';
    }
    if (!state.window) this.applyPreset(state.preset === 'auto' || state.preset === 'custom' ? (this.isCt ? 'soft tissue' : 'auto') : state.preset, false);

    this.panels = { axial: new ViewPanel('axial', this), coronal: new ViewPanel('coronal', this), sagittal: new ViewPanel('sagittal', this) };
    for (const v of VIEWS) this.panels[v].setVolume(vol);
    this.help = el(
      'div',
      { class: 'view help', 'aria-label': 'Keyboard and mouse' },
      el('h3', { text: 'Keyboard and mouse' }),
      ...HELP.map(([k, what]) => el('div', { class: 'row' }, el('kbd', { text: k }), ` ${what}`)),
    );
    this.viewsEl = el('div', { class: 'views' }, ...VIEWS.map((v) => this.panels[v].root), this.help);
    this.side = el('div', { class: 'side' });
    this.status = el('div', { class: 'status', id: 'readout', role: 'status' });
    this.toolbar = el('div', { class: 'toolbar', role: 'toolbar' });
    this.root = el('div', { id: 'viewer' }, this.toolbar, el('div', { class: 'main' }, this.viewsEl, this.side), this.status);
    this.buildToolbar();
    this.applyLayout();
    this.buildSide();
    this.wireKeys();
    new ResizeObserver(() => this.request()).observe(this.viewsEl);
    this.hover(undefined);
    this.request();
  }

  private computeRange(): { min: number; max: number; p005: number; p995: number } {
    const h = this.vol.header;
    const available = this.loadedBytes / (BYTES_PER_VOXEL[h.voxelType] * h.components);
    const [min, p005, p995, max] = percentiles(this.vol, [0, 0.5, 99.5, 100], 0, 1 << 18, available);
    return { min: min!, max: max!, p005: p005!, p995: p995! };
  }

  /** Whole k-slices of voxels in so far (all of them once complete). */
  private slicesIn(): number {
    const h = this.vol.header;
    if (!Number.isFinite(this.loadedBytes)) return h.dims[2];
    const sliceBytes = h.dims[0] * h.dims[1] * h.components * BYTES_PER_VOXEL[h.voxelType] * h.frames;
    return Math.min(h.dims[2], Math.floor(this.loadedBytes / sliceBytes));
  }

  /** Moves the axial slice along with the data until it reaches the slice it was meant to show. */
  private follow(): void {
    if (!this.followLoad) return;
    const k = Math.min(this.followLoad.target, Math.max(0, this.slicesIn() - 1));
    if (k >= this.followLoad.target) this.followLoad = undefined;
    if (k !== this.state.cursor[2]) this.state.cursor = [this.state.cursor[0], this.state.cursor[1], k];
  }

  /** More of a streaming volume arrived: redraw what is in, a few times a second. */
  dataArrived(bytes: number): void {
    this.loadedBytes = bytes;
    const now = performance.now();
    if (now - this.lastInvalidate < 250) return;
    this.lastInvalidate = now;
    this.follow();
    this.renderVersion++;
    this.request();
  }

  /** The whole volume is in (`v` may be a new object holding the same voxels). */
  complete(v: Volume): void {
    this.vol = v;
    this.loadedBytes = Infinity;
    this.follow();
    this.range = this.computeRange();
    // The first slices decided the window; the whole volume may tell a CT that they did not.
    this.isCt = looksLikeCt(this.vol.header.modality, this.range.min, this.range.max);
    if (this.windowAuto && (this.state.preset === 'auto' || (this.isCt && this.state.preset !== 'soft tissue'))) {
      this.applyPreset(this.isCt ? 'soft tissue' : 'auto', false);
      this.syncToolbar();
    }
    this.renderVersion++;
    this.buildSide();
  }

  renderKey(): string {
    const w = this.state.window!;
    return `${this.state.frame}|${w.center}|${w.width}|${this.state.colormap}|${this.renderVersion}`;
  }

  // ---- ViewHost ----
  volume(): Volume {
    return this.vol;
  }
  cursor(): Vec3 {
    return this.state.cursor;
  }
  frame(): number {
    return this.state.frame;
  }
  window(): WindowLevel {
    return this.state.window!;
  }
  lut(): Uint8Array {
    return colormapLut(this.state.colormap);
  }
  overlays(): readonly OverlayLayer[] {
    return this.layers;
  }
  zoomPan(view: ViewName): ZoomPan {
    return this.state.zoomPan[view];
  }
  setZoomPan(view: ViewName, zp: ZoomPan): void {
    this.state.zoomPan[view] = zp;
    this.changed();
  }
  setCursor(c: Vec3, from: ViewName): void {
    this.followLoad = undefined;
    this.state.cursor = c;
    this.state.active = from;
    this.changed();
    this.hover(c);
  }
  setSlice(view: ViewName, slice: number): void {
    const g = this.panels[view].geometry();
    const s = Math.min(g.depth - 1, Math.max(0, Math.round(slice)));
    this.followLoad = undefined;
    const c = [...this.state.cursor] as Vec3;
    c[g.normal] = s;
    this.state.cursor = c;
    this.state.active = view;
    this.changed();
  }
  startWindowDrag(): void {
    this.windowAuto = false;
    this.dragStart = { ...this.state.window! };
  }
  dragWindow(dx: number, dy: number): void {
    if (!this.dragStart) return;
    this.state.window = dragWindow(this.dragStart, dx, dy, this.range.p995 - this.range.p005);
    this.state.preset = 'custom';
    this.syncToolbar();
    this.changed();
  }
  activate(view: ViewName): void {
    this.state.active = view;
    for (const v of VIEWS) this.panels[v].root.classList.toggle('active', v === view);
  }
  maximize(view: ViewName): void {
    if (this.is2d) return;
    this.state.layout = this.state.layout === 'grid' ? view : 'grid';
    this.applyLayout();
  }
  /** A fixed bright colour: the theme's cursor colour is a light grey in dark themes, lost on a grey CT. */
  crosshairColor(): string {
    return '#ffd400';
  }
  hover(v: Vec3 | undefined): void {
    const p = v ?? this.state.cursor;
    const h = this.vol.header;
    const w = voxelToWorld(h, p);
    const idx = flatIndex(h, p[0], p[1], p[2], this.state.frame);
    const value = h.components >= 3 ? [0, 1, 2].map((c) => this.vol.data[idx + c]).join(', ') : String(+valueAt(this.vol, idx).toPrecision(6));
    const win = this.state.window!;
    // A photograph has pixels, not a patient's world coordinates.
    const where = isPhotograph(h)
      ? `pixel [${p[0]}, ${p[1]}]  `
      : `voxel [${p.join(', ')}]${h.frames > 1 ? ` t=${this.state.frame}` : ''}  world (LPS mm) ${w.map((x) => x.toFixed(1)).join(', ')}  `;
    this.status.textContent = `${v ? '' : 'cursor '}${where}value ${value}  ·  W ${+win.width.toFixed(1)} L ${+win.center.toFixed(1)}`;
  }

  // ---- overlays ----
  setOverlay(o: Overlay): void {
    const i = this.overlayList.findIndex((x) => x.id === o.id);
    if (i >= 0) this.overlayList[i] = o;
    else this.overlayList.push(o);
    this.state.showOverlays = true;
    this.overlaysChanged();
  }
  removeOverlay(id: string): void {
    const o = this.overlayList.find((x) => x.id === id);
    this.overlayList = this.overlayList.filter((x) => x.id !== id);
    if (o?.kind === 'labels') this.state.labels.path = undefined;
    this.overlaysChanged();
  }
  overlayIds(): string[] {
    return this.overlayList.map((o) => o.id);
  }
  private overlaysChanged(): void {
    this.layers = layersFor(this.overlayList, this.state);
    this.renderVersion++;
    this.buildSide();
    this.changed();
  }

  // ---- drawing ----
  private changed(): void {
    saveState(this.state);
    this.request();
  }
  request(): void {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => this.drawNow());
  }
  /**
   * Draws the first visible view at once when nothing is on screen yet (a streaming volume's
   * first slice, not a frame later); the other views follow on the next animation frame.
   */
  drawFirst(): void {
    if (this.stats.frames === 0) this.drawNow(VIEWS.filter((v) => !this.panels[v].root.classList.contains('hidden')).slice(0, 1));
    this.request();
  }
  private drawNow(views: readonly ViewName[] = VIEWS): void {
    this.dirty = false;
    let ms = 0;
    for (const v of views) if (!this.panels[v].root.classList.contains('hidden')) ms += this.panels[v].draw();
    this.stats.frameMs.push(ms);
    if (this.stats.frameMs.length > 2000) this.stats.frameMs.splice(0, 1000);
    this.stats.frames++;
    document.body.dataset.frames = String(this.stats.frames);
    document.body.dataset.cursor = this.state.cursor.join(',');
    if (this.stats.firstSliceMs < 0) {
      this.stats.firstSliceBytes = Number.isFinite(this.loadedBytes) ? this.loadedBytes : voxelBytes(this.vol.header);
      this.stats.firstSliceMs = performance.now();
      this.onFirst(this.stats.firstSliceMs);
    }
  }

  // ---- toolbar, layout, keys ----
  private presetSelect!: HTMLSelectElement;
  private centerInput!: HTMLInputElement;
  private widthInput!: HTMLInputElement;
  private layoutSelect!: HTMLSelectElement;
  private frameInput: HTMLInputElement | undefined;

  private applyPreset(name: string, redraw = true): void {
    // Redrawn at once: the person picked it.
    if (redraw) this.windowAuto = false;
    const p = CT_PRESETS[name];
    this.state.preset = p ? name : 'auto';
    this.state.window = p ? { ...p } : autoWindow(this.range.p005, this.range.p995);
    if (redraw) {
      this.syncToolbar();
      this.changed();
    }
  }

  private buildToolbar(): void {
    const tb = this.toolbar;
    this.layoutSelect = el('select', { id: 'layout', 'aria-label': 'Layout' }, ...LAYOUTS.map(([v, l]) => option(v, l)));
    this.layoutSelect.disabled = this.is2d;
    this.layoutSelect.addEventListener('change', () => {
      this.state.layout = this.layoutSelect.value as LayoutName;
      this.applyLayout();
    });
    this.presetSelect = el('select', { id: 'preset', 'aria-label': 'Window preset' }, option('auto', 'Auto'), ...Object.keys(CT_PRESETS).map((p) => option(p, `CT ${p}`)), option('custom', 'Custom'));
    this.presetSelect.addEventListener('change', () => this.applyPreset(this.presetSelect.value));
    this.centerInput = el('input', { type: 'number', id: 'wl-center', 'aria-label': 'Window level', step: 'any' });
    this.widthInput = el('input', { type: 'number', id: 'wl-width', 'aria-label': 'Window width', step: 'any' });
    const setWl = () => {
      const c = Number(this.centerInput.value);
      const w = Number(this.widthInput.value);
      if (!Number.isFinite(c) || !(w > 0)) return;
      this.windowAuto = false;
      this.state.window = { center: c, width: w };
      this.state.preset = 'custom';
      this.syncToolbar();
      this.changed();
    };
    this.centerInput.addEventListener('change', setWl);
    this.widthInput.addEventListener('change', setWl);
    const cmap = el('select', { id: 'colormap', 'aria-label': 'Colormap' }, ...COLORMAPS.map((c) => option(c, c, c === this.state.colormap)));
    cmap.addEventListener('change', () => {
      this.state.colormap = cmap.value as ColormapName;
      this.changed();
    });
    tb.append(
      // One view of a photograph: no layout (and no 'Axial') to offer.
      el('label', { style: isPhotograph(this.vol.header) ? 'display: none' : undefined }, 'Layout', this.layoutSelect),
      el('label', {}, 'Window', this.presetSelect),
      el('label', {}, 'L', this.centerInput),
      el('label', {}, 'W', this.widthInput),
      el('label', {}, 'Colormap', cmap),
    );
    if (this.vol.header.frames > 1) {
      const fr = el('input', { type: 'range', id: 'frame', min: 0, max: this.vol.header.frames - 1, step: 1, value: this.state.frame, 'aria-label': 'Time point' });
      const label = el('span', { id: 'frame-label' });
      fr.addEventListener('input', () => this.setFrame(Number(fr.value)));
      this.frameInput = fr;
      tb.append(el('label', {}, 'Time', fr, label));
    }
    const toggle = (text: string, id: string, key: 'showHeader' | 'showOverlays') => {
      const b = el('button', { text, id, 'aria-pressed': String(this.state[key]) });
      b.addEventListener('click', () => {
        this.state[key] = !this.state[key];
        b.setAttribute('aria-pressed', String(this.state[key]));
        this.buildSide();
        saveState(this.state);
      });
      return b;
    };
    const reset = el('button', { text: 'Reset view', id: 'reset', title: 'Reset zoom and pan (R)' });
    reset.addEventListener('click', () => this.resetView());
    tb.append(toggle('Header', 'toggle-header', 'showHeader'), toggle('Overlays', 'toggle-overlays', 'showOverlays'), reset);
    this.syncToolbar();
  }

  private syncToolbar(): void {
    const w = this.state.window!;
    this.presetSelect.value = this.state.preset;
    this.centerInput.value = String(+w.center.toFixed(2));
    this.widthInput.value = String(+w.width.toFixed(2));
    this.layoutSelect.value = this.state.layout;
    if (this.frameInput) {
      this.frameInput.value = String(this.state.frame);
      const label = document.getElementById('frame-label');
      if (label) label.textContent = `${this.state.frame + 1} / ${this.vol.header.frames}`;
    }
  }

  setFrame(t: number): void {
    this.state.frame = Math.min(this.vol.header.frames - 1, Math.max(0, t));
    this.syncToolbar();
    this.changed();
  }

  private resetView(): void {
    for (const v of VIEWS) this.state.zoomPan[v] = { zoom: 1, panX: 0, panY: 0 };
    this.changed();
  }

  private applyLayout(): void {
    const l = this.state.layout;
    this.viewsEl.className = `views ${l === 'grid' ? 'grid' : 'single'}`;
    for (const v of VIEWS) this.panels[v].root.classList.toggle('hidden', l !== 'grid' && l !== v);
    this.help.classList.toggle('hidden', l !== 'grid');
    if (l !== 'grid') this.state.active = l;
    this.activate(this.state.active);
    this.syncToolbar();
    saveState(this.state);
    this.request();
  }

  private buildSide(): void {
    this.side.replaceChildren();
    if (this.state.showHeader) this.side.append(headerPanel(this.vol, this.range));
    if (this.state.showOverlays)
      this.side.append(
        overlayPanel(this.overlayList, this.state, {
          change: (mut) => {
            mut(this.state);
            this.layers = layersFor(this.overlayList, this.state);
            this.renderVersion++;
            this.changed();
          },
          remove: (id) => this.removeOverlay(id),
          pickLabels: () => this.actions.pickLabels(),
          explain: () => this.actions.explain(),
        }),
      );
    this.side.style.display = this.side.childElementCount ? '' : 'none';
    this.request();
  }

  private wireKeys(): void {
    window.addEventListener('keydown', (e) => {
      const t = e.target as HTMLElement;
      if (t.tagName === 'INPUT' || t.tagName === 'SELECT') return;
      const view = this.state.active;
      const slice = voxelToView(this.panels[view].geometry(), this.state.cursor).slice;
      const keys: Record<string, () => void> = {
        ArrowUp: () => this.setSlice(view, slice + 1),
        ArrowDown: () => this.setSlice(view, slice - 1),
        PageUp: () => this.setSlice(view, slice + 10),
        PageDown: () => this.setSlice(view, slice - 10),
        Home: () => this.setSlice(view, 0),
        End: () => this.setSlice(view, 1e9),
        ArrowRight: () => this.setFrame(this.state.frame + 1),
        ArrowLeft: () => this.setFrame(this.state.frame - 1),
        '+': () => this.setZoomPan(view, { ...this.state.zoomPan[view], zoom: this.state.zoomPan[view].zoom * 1.25 }),
        '=': () => this.setZoomPan(view, { ...this.state.zoomPan[view], zoom: this.state.zoomPan[view].zoom * 1.25 }),
        '-': () => this.setZoomPan(view, { ...this.state.zoomPan[view], zoom: this.state.zoomPan[view].zoom / 1.25 }),
        r: () => this.resetView(),
        a: () => this.applyPreset('auto'),
        '1': () => this.setLayout('axial'),
        '2': () => this.setLayout('coronal'),
        '3': () => this.setLayout('sagittal'),
        '4': () => this.setLayout('grid'),
      };
      const fn = keys[e.key];
      if (!fn) return;
      e.preventDefault();
      fn();
    });
  }

  private setLayout(l: LayoutName): void {
    if (this.is2d) return;
    this.state.layout = l;
    this.applyLayout();
  }
}
