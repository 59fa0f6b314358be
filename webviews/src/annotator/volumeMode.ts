/**
 * The annotator for a volume's 3D boxes (.mrk.json): axial, coronal and sagittal views of the
 * volume beside it. Drag on a view draws a box on that slice with a default depth; every box is
 * shown in all three views where their slices cut it, and its edges are moved in any of them
 * (the depth range from the other two). Clicking sets the crosshair (the other views' slices),
 * the wheel steps through slices. Edits go to the host like the 2D ones.
 */
import { roiToVoxelBox, voxelBoxToRoi, type SlicerRoi, type VoxelBox } from '../../../server/src/formats/slicerRoi';
import type { ImageGeometry } from '../../../server/src/formats/geometry';
import type { AnnotatorHostEvents, AnnotatorHostRequests, AnnotatorState, AnnotatorWebviewEvents, AnnotatorWebviewRequests, RoiIntent, WebviewChannel } from '../../../server/src/protocol';
import { colormapLut } from '../common/render/colormap';
import { VIEWS, viewGeometry, type ViewGeometry, type ViewName } from '../common/render/orientation';
import { renderSlice } from '../common/render/slice';
import { canvasToSlice, placeSlice, zoomAt, type Placement, type ZoomPan } from '../common/render/viewTransform';
import { percentiles, type Volume } from '../common/render/volume';
import { autoWindow, type WindowLevel } from '../common/render/window';
import { getState, setState } from '../common/vscodeApi';
import { loadVolume } from '../viewer/load';
import { dragBox, HANDLE_RADIUS, HANDLES, handlePoint, hitTest, type Handle } from './geometry';
import { keyAction } from './keys';
import { categoryColour } from './render';
import { boxFromDrawing, projectBox, sliceHits, withRect, type SliceRect } from './volumeBoxes';

type Channel = WebviewChannel<AnnotatorHostRequests, AnnotatorWebviewRequests, AnnotatorHostEvents, AnnotatorWebviewEvents>;

interface Pane {
  view: ViewName;
  canvas: HTMLCanvasElement;
  g: ViewGeometry;
  place: Placement;
  /** This view's zoom and pan (Ctrl+wheel or +/-/0; right or middle drag pans). */
  zp: ZoomPan;
}

/** What a reload brings back (VS Code keeps it with the webview). */
interface VolumePersisted {
  volume?: { cursor: [number, number, number]; category: string; dims: number[] };
}

type Drag =
  | { pane: Pane; kind: 'pan'; a: [number, number]; start: ZoomPan }
  | { pane: Pane; kind: 'draw'; a: [number, number]; b: [number, number] } | { pane: Pane; kind: 'edit'; index: number; part: Handle | 'inside'; a: [number, number]; orig: SliceRect; cur: SliceRect };

export function startVolumeMode(root: HTMLElement, ch: Channel, notice: (m: string, level?: 'info' | 'warning' | 'error') => void): (s: AnnotatorState) => void {
  root.innerHTML = `<div class="toolbar"><span class="file"></span><span class="cats"></span>
    <button data-act="acceptAll" title="Accept every suggested box (Shift+A)">Accept all</button>
    <button data-act="rejectAll" title="Reject every suggested box (Shift+R)">Reject all</button></div>
  <div class="views">${VIEWS.map((v) => `<div class="pane"><span class="label">${v}</span><canvas data-view="${v}" tabindex="0"></canvas></div>`).join('')}</div>
  <div class="status"><span class="msg" role="status"></span><span class="help">drag: draw a box on this slice (±2 slices) · drag an edge in another view: depth · click: move the crosshair · wheel, PageUp/PageDown: slice · Ctrl+wheel, +/-, 0: zoom · right drag: pan · Del, 1-9, a/r</span></div>`;
  let doc: AnnotatorState | null = null;
  let vol: Volume | null = null;
  let geom: ImageGeometry | null = null;
  let win: WindowLevel = { center: 0.5, width: 1 };
  const lut = colormapLut('gray');
  let cursor: [number, number, number] = [0, 0, 0];
  let selected: number | null = null;
  let category = 'lesion';
  let drag: Drag | null = null;
  const panes: Pane[] = [];
  /** The pane keys (PageUp/PageDown, n/p) step through: the last one used. */
  let activePane: Pane | null = null;
  const saved = getState<VolumePersisted>()?.volume;
  if (saved) category = saved.category;
  const persist = () => {
    if (vol) setState<VolumePersisted>({ volume: { cursor: [...cursor], category, dims: [...vol.header.dims] } });
  };
  /** Box rectangles are handled in canvas pixels: the identity view of geometry.ts. */
  const flat = { scale: 1, ox: 0, oy: 0 };

  const rois = (): SlicerRoi[] => doc?.rois ?? [];
  const boxes = (): VoxelBox[] => (geom ? rois().map((r) => roiToVoxelBox(r, geom!)) : []);

  async function edit(intent: RoiIntent): Promise<number[]> {
    if (doc?.readOnly) {
      notice(doc.error ? 'the file did not open: nothing can be edited' : 'read-only: this workspace is not trusted', 'warning');
      return [];
    }
    const r = await ch.request('editRoi', intent).catch((e: unknown) => ({ ok: false, message: String(e instanceof Error ? e.message : e), ids: undefined }));
    if (!r.ok) notice(r.message ?? 'the edit was refused', 'warning');
    return r.ids ?? [];
  }

  function roiFor(box: VoxelBox, base?: SlicerRoi): SlicerRoi {
    const label = base?.label ?? `R-${rois().length + 1}`;
    const meta = { label, source: base?.source ?? ('manual' as const), category: base?.category ?? category, ...(base?.score !== undefined ? { score: base.score } : {}) };
    return voxelBoxToRoi(box, geom!, meta);
  }

  // ---- drawing ----
  function rectOnCanvas(p: Pane, r: SliceRect): [number, number, number, number] {
    const x0 = p.place.left + (r.u0 + 0.5) * p.place.scaleX;
    const y0 = p.place.top + (r.v0 + 0.5) * p.place.scaleY;
    return [x0, y0, (r.u1 - r.u0) * p.place.scaleX, (r.v1 - r.v0) * p.place.scaleY];
  }

  function rectFromCanvas(p: Pane, b: [number, number, number, number]): SliceRect {
    const a = canvasToSlice(p.place, b[0], b[1]);
    const c = canvasToSlice(p.place, b[0] + b[2], b[1] + b[3]);
    return { u0: a.u, v0: a.v, u1: c.u, v1: c.v };
  }

  function layout(p: Pane): void {
    const w = p.canvas.clientWidth;
    const h = p.canvas.clientHeight;
    const dpr = window.devicePixelRatio || 1;
    if (p.canvas.width !== Math.round(w * dpr)) p.canvas.width = Math.round(w * dpr);
    if (p.canvas.height !== Math.round(h * dpr)) p.canvas.height = Math.round(h * dpr);
    p.place = placeSlice(w, h, p.g.width, p.g.height, p.g.pixelWidth, p.g.pixelHeight, p.zp);
    Object.assign(p.canvas.dataset, { left: String(p.place.left), top: String(p.place.top), scaleX: String(p.place.scaleX), scaleY: String(p.place.scaleY), slice: String(cursor[p.g.normal]) });
  }

  function drawPane(p: Pane): void {
    if (!vol) return;
    layout(p);
    const ctx = p.canvas.getContext('2d')!;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, p.canvas.clientWidth, p.canvas.clientHeight);
    const slice = cursor[p.g.normal]!;
    const img = renderSlice(vol, p.g, slice, 0, win, lut);
    const off = new OffscreenCanvas(img.width, img.height);
    off.getContext('2d')!.putImageData(new ImageData(img.data as Uint8ClampedArray<ArrayBuffer>, img.width, img.height), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(off, p.place.left, p.place.top, img.width * p.place.scaleX, img.height * p.place.scaleY);
    // Crosshair: where the other two views' slices are.
    const cu = (i: number, size: number, flip: boolean) => (flip ? size - 1 - i : i);
    const [cx, cy] = [p.place.left + (cu(cursor[p.g.right.axis]!, p.g.width, p.g.right.flip) + 0.5) * p.place.scaleX, p.place.top + (cu(cursor[p.g.down.axis]!, p.g.height, p.g.down.flip) + 0.5) * p.place.scaleY];
    ctx.strokeStyle = 'rgba(255,255,0,0.35)';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(cx, p.place.top);
    ctx.lineTo(cx, p.place.top + img.height * p.place.scaleY);
    ctx.moveTo(p.place.left, cy);
    ctx.lineTo(p.place.left + img.width * p.place.scaleX, cy);
    ctx.stroke();
    const classes = (doc?.roiClasses ?? []).map((name, i) => ({ id: i, name }));
    boxes().forEach((b, i) => {
      const isDrag = drag?.kind === 'edit' && drag.index === i;
      if (!sliceHits(p.g, b, slice) && !(isDrag && drag?.pane === p)) return;
      const r = isDrag && drag?.kind === 'edit' && drag.pane === p ? drag.cur : projectBox(p.g, b);
      const [x, y, w, h] = rectOnCanvas(p, r);
      const roi = rois()[i]!;
      ctx.strokeStyle = categoryColour(classes, classes.find((c) => c.name === roi.category)?.id ?? 0);
      ctx.lineWidth = i === selected ? 2.5 : 1.5;
      ctx.setLineDash(roi.source === 'manual' ? [] : [6, 4]);
      ctx.strokeRect(x, y, w, h);
      ctx.setLineDash([]);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.font = '11px sans-serif';
      ctx.fillText(`${roi.label} ${roi.category ?? ''}${roi.source !== 'manual' ? ` · ${roi.source} ${(roi.score ?? 0).toFixed(2)}` : ''}`, x + 2, y - 3);
      if (i !== selected) return;
      for (const hd of HANDLES) {
        const [hx, hy] = handlePoint(flat, [x, y, w, h], hd);
        ctx.fillStyle = '#fff';
        ctx.fillRect(hx - HANDLE_RADIUS, hy - HANDLE_RADIUS, 2 * HANDLE_RADIUS, 2 * HANDLE_RADIUS);
        ctx.strokeRect(hx - HANDLE_RADIUS, hy - HANDLE_RADIUS, 2 * HANDLE_RADIUS, 2 * HANDLE_RADIUS);
      }
    });
    if (drag?.kind === 'draw' && drag.pane === p) {
      ctx.strokeStyle = '#fff';
      ctx.setLineDash([2, 2]);
      ctx.strokeRect(Math.min(drag.a[0], drag.b[0]), Math.min(drag.a[1], drag.b[1]), Math.abs(drag.b[0] - drag.a[0]), Math.abs(drag.b[1] - drag.a[1]));
      ctx.setLineDash([]);
    }
  }

  function renderAll(): void {
    for (const p of panes) drawPane(p);
    persist();
    root.dataset.selected = String(selected ?? '');
    root.dataset.cursor = cursor.join(',');
    root.dataset.version = String(doc?.version ?? '');
  }

  function canvasBoxes(p: Pane): { id: number; bbox: [number, number, number, number] }[] {
    const slice = cursor[p.g.normal]!;
    return boxes()
      .map((b, i) => ({ b, i }))
      .filter(({ b }) => sliceHits(p.g, b, slice))
      .map(({ b, i }) => ({ id: i, bbox: rectOnCanvas(p, projectBox(p.g, b)) }));
  }

  const at = (p: Pane, e: PointerEvent | WheelEvent): [number, number] => {
    const r = p.canvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  };

  function attach(p: Pane): void {
    p.canvas.addEventListener('pointerdown', (e) => {
      if (!vol) return;
      p.canvas.focus();
      activePane = p;
      p.canvas.setPointerCapture(e.pointerId);
      const pt = at(p, e);
      if (e.button === 1 || e.button === 2) {
        drag = { pane: p, kind: 'pan', a: pt, start: p.zp };
        return;
      }
      if (e.button !== 0) return;
      const hit = hitTest(flat, canvasBoxes(p), selected, pt[0], pt[1]);
      if (hit) {
        selected = hit.id;
        const orig = projectBox(p.g, boxes()[hit.id]!);
        drag = { pane: p, kind: 'edit', index: hit.id, part: hit.part, a: pt, orig, cur: orig };
      } else drag = { pane: p, kind: 'draw', a: pt, b: pt };
      renderAll();
    });
    p.canvas.addEventListener('pointermove', (e) => {
      if (!drag || drag.pane !== p) return;
      const pt = at(p, e);
      if (drag.kind === 'pan') p.zp = { ...drag.start, panX: drag.start.panX + pt[0] - drag.a[0], panY: drag.start.panY + pt[1] - drag.a[1] };
      else if (drag.kind === 'draw') drag.b = pt;
      else {
        const moved = dragBox(rectOnCanvas(p, drag.orig), drag.part, pt[0] - drag.a[0], pt[1] - drag.a[1]);
        drag.cur = rectFromCanvas(p, moved);
      }
      renderAll();
    });
    p.canvas.addEventListener('pointerup', (e) => {
      const d = drag;
      drag = null;
      if (!d || d.pane !== p || !vol || !geom || d.kind === 'pan') return renderAll();
      const pt = at(p, e);
      if (d.kind === 'draw') {
        if (Math.abs(pt[0] - d.a[0]) < 3 && Math.abs(pt[1] - d.a[1]) < 3) {
          // A click: move the crosshair here (the other views follow).
          const s = canvasToSlice(p.place, pt[0], pt[1]);
          const set = (axis: number, size: number, flip: boolean, v: number) => {
            const i = Math.round(flip ? size - 1 - v : v);
            if (i >= 0 && i < size) cursor[axis] = i;
          };
          set(p.g.right.axis, p.g.width, p.g.right.flip, s.u);
          set(p.g.down.axis, p.g.height, p.g.down.flip, s.v);
          selected = null;
          return renderAll();
        }
        const a = canvasToSlice(p.place, d.a[0], d.a[1]);
        const b = canvasToSlice(p.place, pt[0], pt[1]);
        const box = boxFromDrawing(p.g, { u0: a.u, v0: a.v, u1: b.u, v1: b.v }, cursor[p.g.normal]!);
        renderAll();
        void edit({ kind: 'putRoi', index: null, roi: roiFor(box) }).then((ids) => {
          if (ids[0] !== undefined) selected = ids[0];
          renderAll();
        });
        return;
      }
      const base = boxes()[d.index]!;
      const next = withRect(p.g, base, d.cur);
      if (next.min.every((v, i) => v === base.min[i]) && next.max.every((v, i) => v === base.max[i])) return renderAll();
      renderAll();
      void edit({ kind: 'putRoi', index: d.index, roi: roiFor(next, rois()[d.index]) });
    });
    p.canvas.addEventListener(
      'wheel',
      (e) => {
        if (!vol) return;
        e.preventDefault();
        activePane = p;
        if (e.ctrlKey || e.metaKey) {
          const pt = at(p, e);
          p.zp = zoomAt(p.zp, Math.pow(1.0015, -e.deltaY), pt[0], pt[1], p.canvas.clientWidth, p.canvas.clientHeight);
          return renderAll();
        }
        const n = p.g.normal;
        cursor[n] = Math.min(p.g.depth - 1, Math.max(0, cursor[n]! + (e.deltaY > 0 ? 1 : -1)));
        renderAll();
      },
      { passive: false },
    );
  }

  window.addEventListener('keydown', (e) => {
    const a = keyAction(e);
    if (!a || !doc) return;
    const all = rois().map((_, i) => i);
    const suggested = all.filter((i) => rois()[i]!.source !== 'manual');
    if (a.do === 'delete' && selected !== null) {
      const i = selected;
      selected = null;
      void edit({ kind: 'deleteRois', indexes: [i] });
    } else if (a.do === 'category') {
      const c = doc.roiClasses?.[a.index];
      if (!c) return notice(`there is no class ${a.index + 1}`, 'warning');
      category = c;
      if (selected !== null) void edit({ kind: 'setRoiCategory', indexes: [selected], category: c });
      renderToolbar();
    } else if (a.do === 'accept' || a.do === 'reject') {
      const idx = a.all ? suggested : suggested.filter((i) => i === selected);
      if (!idx.length) return notice(a.all ? 'no suggested boxes' : 'select a suggested (dashed) box first', 'warning');
      void edit({ kind: a.do === 'accept' ? 'acceptRois' : 'rejectRois', indexes: idx });
    } else if (a.do === 'image') {
      // n/p, PageDown/PageUp: the next/previous slice of the view last used.
      const p = activePane ?? panes[0];
      if (!p) return;
      const n = p.g.normal;
      cursor[n] = Math.min(p.g.depth - 1, Math.max(0, cursor[n]! + a.step));
      renderAll();
    } else if (a.do === 'zoom' || a.do === 'fit') {
      const p = activePane ?? panes[0];
      if (!p) return;
      p.zp = a.do === 'fit' ? { zoom: 1, panX: 0, panY: 0 } : zoomAt(p.zp, a.factor, p.canvas.clientWidth / 2, p.canvas.clientHeight / 2, p.canvas.clientWidth, p.canvas.clientHeight);
      renderAll();
    } else if (a.do === 'deselect') {
      selected = null;
      renderAll();
    } else return;
    e.preventDefault();
  });
  root.addEventListener('click', (e) => {
    const act = (e.target as HTMLElement).closest<HTMLElement>('button[data-act]')?.dataset.act;
    const suggested = rois().flatMap((r, i) => (r.source !== 'manual' ? [i] : []));
    if (act === 'acceptAll' || act === 'rejectAll') {
      if (!suggested.length) return notice('no suggested boxes', 'warning');
      void edit({ kind: act === 'acceptAll' ? 'acceptRois' : 'rejectRois', indexes: suggested });
    }
  });

  function renderToolbar(): void {
    root.querySelector('.file')!.textContent = doc ? doc.fileName + (vol ? ` on ${vol.name}` : '') : '';
    const cats = root.querySelector('.cats')!;
    cats.replaceChildren();
    (doc?.roiClasses ?? []).forEach((c, i) => {
      const b = document.createElement('button');
      b.textContent = `${i + 1} ${c}`;
      b.className = c === category ? 'active' : '';
      b.addEventListener('click', () => {
        category = c;
        if (selected !== null) void edit({ kind: 'setRoiCategory', indexes: [selected], category: c });
        renderToolbar();
      });
      cats.appendChild(b);
    });
  }

  async function load(): Promise<void> {
    try {
      const { source, maxBytes } = await ch.request('volume', null, 600_000);
      vol = await loadVolume(source, maxBytes);
      const h = vol.header;
      geom = { origin: h.origin, spacing: h.spacing, direction: h.direction };
      const sameVolume = saved && saved.dims.every((d, i) => d === h.dims[i]);
      cursor = sameVolume ? [...saved.cursor] : [Math.floor(h.dims[0] / 2), Math.floor(h.dims[1] / 2), Math.floor(h.dims[2] / 2)];
      const [lo, hi] = percentiles(vol, [0.5, 99.5]);
      win = autoWindow(lo!, hi!);
      for (const view of VIEWS) {
        const canvas = root.querySelector<HTMLCanvasElement>(`canvas[data-view="${view}"]`)!;
        const p: Pane = { view, canvas, g: viewGeometry(h, view), place: { scaleX: 1, scaleY: 1, left: 0, top: 0 }, zp: { zoom: 1, panX: 0, panY: 0 } };
        canvas.addEventListener('contextmenu', (e) => e.preventDefault());
        panes.push(p);
        attach(p);
      }
      new ResizeObserver(() => renderAll()).observe(root.querySelector('.views')!);
      root.dataset.ready = '1';
      ch.emit('volumeShown', { name: vol.name, dims: [...h.dims] });
      renderToolbar();
      renderAll();
    } catch (e) {
      notice(`the volume could not be loaded: ${e instanceof Error ? e.message : String(e)}`, 'error');
    }
  }

  let started = false;
  return (s: AnnotatorState) => {
    doc = s;
    if (!s.roiClasses?.includes(category)) category = s.roiClasses?.[0] ?? 'lesion';
    if (selected !== null && selected >= rois().length) selected = null;
    if (s.error) notice(s.error, 'error');
    else if (!started) {
      started = true;
      void load();
    }
    renderToolbar();
    renderAll();
  };
}
