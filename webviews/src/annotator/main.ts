/**
 * The box annotator webview: the image with its boxes, the image list, the review queue. It
 * never changes the document itself: every change is an intent sent to the extension host,
 * which applies it as one VS Code undo step and answers with the new state.
 */
import { isPendingSuggestion, type CocoAnnotation, type CocoBBox, type CocoImage } from '../../../server/src/formats/coco';
import type {
  AnnotatorHostEvents,
  AnnotatorHostRequests,
  AnnotatorIntent,
  AnnotatorPatch,
  AnnotatorState,
  AnnotatorWebviewEvents,
  AnnotatorWebviewRequests,
  SuggestSource,
  SuspectItem,
} from '../../../server/src/protocol';
import { addStyle } from '../common/dom';
import { connect, getState, setState } from '../common/vscodeApi';
import { boxFromPoints, cursorFor, dragBox, fitView, hitTest, keepInside, toImage, zoomAt, type Handle, type View } from './geometry';
import { imageRows, markCurrent, renderImageList, updateImageRows } from './imageList';
import { HELP, keyAction, type KeyAction } from './keys';
import { categoryColour, renderScene } from './render';
import { ANNOTATOR_CSS } from './styles';
import { startVolumeMode } from './volumeMode';

type Source = SuggestSource;
interface Persisted {
  imageId: number | null;
  categoryId: number | null;
  source: Source;
  /** Accept all takes only suggestions scoring at least this. */
  minScore?: number;
  /** Zoom and pan of the current image, restored after a reload. */
  view?: View | null;
}

type Drag =
  | { kind: 'draw'; start: [number, number]; cur: [number, number] }
  | { kind: 'edit'; id: number; part: Handle | 'inside'; start: [number, number]; orig: CocoBBox; cur: CocoBBox }
  | { kind: 'pan'; sx: number; sy: number; view: View };

/** A drag shorter than this (canvas pixels) is a click. */
const CLICK_SLOP = 3;

const ch = connect<AnnotatorHostRequests, AnnotatorWebviewRequests, AnnotatorHostEvents, AnnotatorWebviewEvents>();
const saved = getState<Persisted>();
let doc: AnnotatorState | null = null;
let imageId: number | null = saved?.imageId ?? null;
let categoryId: number | null = saved?.categoryId ?? null;
let source: Source = saved?.source ?? 'saliency';
let minScore = saved?.minScore ?? 0;
let selected: number | null = null;
let view: View | null = saved?.view ?? null;
let drag: Drag | null = null;
let spaceDown = false;
const bitmaps = new Map<number, { img?: HTMLImageElement; error?: string }>();

// ---- DOM ---------------------------------------------------------------------------------
addStyle(ANNOTATOR_CSS);
const app = document.getElementById('app')!;
app.innerHTML = `<div class="root">
  <div class="toolbar">
    <span class="file"></span><span class="cats"></span>
    <select class="source" title="Where suggested boxes come from"><option value="saliency">saliency</option><option value="segmentation">segmentation</option><option value="model">model (detection run)</option></select>
    <button data-action="suggest" title="Ask the compute server for boxes on this image (s)">Suggest Boxes</button>
    <button data-action="acceptAll" title="Accept every suggested box on this image scoring at least the threshold beside (Shift+A)">Accept all</button>
    <label class="minScore" title="Accept all takes only suggestions scoring at least this">≥ <input class="minScore" type="number" min="0" max="1" step="0.05" aria-label="minimum score for Accept all"></label>
    <button data-action="rejectAll" title="Reject every suggested box on this image (Shift+R)">Reject all</button>
    <button data-action="reviewed" title="Mark this image reviewed (v)">Reviewed</button>
    <button data-action="queue" title="Open a data-cleaning report's suspect labels for review">Review suspects…</button>
    <button data-action="fit" title="Fit the image (0)">Fit</button>
  </div>
  <div class="error" hidden></div>
  <div class="main"><div class="list"></div><div class="stage"><canvas tabindex="0" aria-label="image with boxes"></canvas></div></div>
  <div class="queue" hidden><span class="what"></span>
    <button data-action="keep" title="The given label is right (k)">Keep label</button>
    <button data-action="relabel" title="Use the suggested label (c)">Change label</button>
    <button data-action="exclude" title="Leave this image out of training (x)">Exclude</button>
    <button data-action="nextSuspect" title="Next undecided suspect (j)">Next suspect</button></div>
  <div class="status"><span class="msg" role="status"></span><span class="help"></span></div>
</div>`;
const $ = <T extends HTMLElement>(sel: string) => app.querySelector<T>(sel)!;
const canvas = $<HTMLCanvasElement>('canvas');
const ctx = canvas.getContext('2d')!;
const sourceSelect = $<HTMLSelectElement>('select.source');
sourceSelect.value = source;
const minScoreInput = $<HTMLInputElement>('input.minScore');
minScoreInput.value = String(minScore);
$('.help').textContent = HELP;

function notice(message: string, level: 'info' | 'warning' | 'error' = 'info'): void {
  const el = $('.msg');
  el.textContent = message;
  el.className = `msg ${level}`;
}

function persist(): void {
  setState<Persisted>({ imageId, categoryId, source, minScore, view });
}

// ---- document helpers --------------------------------------------------------------------
/** The images in id order (edits never add or remove images: recomputed on a full state). */
let sortedImages: CocoImage[] = [];
function images(): CocoImage[] {
  return sortedImages;
}
function currentImage(): CocoImage | undefined {
  return images().find((i) => i.id === imageId);
}
function boxesOf(id: number | null): CocoAnnotation[] {
  return doc?.dataset?.annotations.filter((a) => a.image_id === id) ?? [];
}
function currentSuspect(): SuspectItem | undefined {
  return doc?.queue.find((q) => q.imageId === imageId);
}

async function edit(intent: AnnotatorIntent): Promise<number[]> {
  if (doc?.readOnly) {
    notice(doc.error ? 'the file did not open: nothing can be edited' : 'read-only: this workspace is not trusted', 'warning');
    return [];
  }
  try {
    const r = await ch.request('edit', intent);
    if (!r.ok) notice(r.message ?? 'the edit was refused', 'warning');
    else if (r.message) notice(r.message, r.clamped ? 'warning' : 'info');
    return r.ids ?? [];
  } catch (e) {
    notice(`edit failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
    return [];
  }
}

// ---- image + view ------------------------------------------------------------------------
function showImage(id: number | null): void {
  if (id === imageId && view) return render();
  imageId = id;
  selected = null;
  view = null;
  drag = null;
  persist();
  if (id !== null) ch.emit('currentImage', { imageId: id });
  loadBitmap(id);
  renderAll('current');
}

function loadBitmap(id: number | null): void {
  if (id === null || bitmaps.has(id)) return;
  const entry: { img?: HTMLImageElement; error?: string } = {};
  bitmaps.set(id, entry);
  canvas.dataset.ready = '0';
  ch.request('image', { imageId: id })
    .then(({ src }) => {
      const img = new Image();
      img.onload = () => {
        entry.img = img;
        render();
      };
      img.onerror = () => {
        entry.error = 'the image could not be decoded (PNG and JPEG are shown; other formats are not yet)';
        render();
      };
      img.src = src;
    })
    .catch((e: unknown) => {
      entry.error = e instanceof Error ? e.message : String(e);
      notice(entry.error, 'error');
      render();
    });
}

function step(delta: 1 | -1): void {
  const list = images();
  if (!list.length) return;
  const i = list.findIndex((im) => im.id === imageId);
  const next = list[Math.min(list.length - 1, Math.max(0, (i < 0 ? 0 : i) + delta))]!;
  showImage(next.id);
}

function canvasSize(): { w: number; h: number } {
  return { w: canvas.clientWidth, h: canvas.clientHeight };
}

function render(): void {
  const img = currentImage();
  const dpr = window.devicePixelRatio || 1;
  const { w, h } = canvasSize();
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  if (!img || !doc?.dataset) {
    ctx.clearRect(0, 0, w, h);
    return;
  }
  view ??= fitView(img.width, img.height, w, h);
  const bm = bitmaps.get(img.id);
  let draft: CocoBBox | null = null;
  if (drag?.kind === 'draw') draft = boxFromPoints(drag.start, drag.cur);
  else if (drag?.kind === 'edit') draft = drag.cur;
  renderScene(ctx, w, h, {
    image: img,
    bitmap: bm?.img ?? null,
    ...(bm?.error ? { imageError: bm.error } : {}),
    boxes: boxesOf(img.id),
    categories: doc.dataset.categories,
    selected,
    draft,
    view,
  });
  // For tests and for the person's screen reader: what the canvas shows.
  Object.assign(canvas.dataset, { version: String(doc.version), imageId: String(img.id), scale: String(view.scale), ox: String(view.ox), oy: String(view.oy), selected: String(selected ?? ''), ready: bm?.img ? '1' : '0' });
  persist();
}

/**
 * Redraws the page. `list` says how much of the image list changed: all of it (a new state),
 * some images' rows (an edit), only which one is current, or nothing.
 */
function renderAll(list: 'full' | 'current' | 'none' | ReadonlySet<number> = 'full'): void {
  const ds = doc?.dataset;
  $('.file').textContent = doc ? doc.fileName + (doc.readOnly && !doc.error ? ' (read-only)' : '') : '';
  const err = $('.error');
  err.hidden = !doc?.error;
  err.textContent = doc?.error ? `This box file could not be opened, and it will not be overwritten:\n\n${doc.error}\n\nFix it in a text editor (Reopen Editor With… › Text Editor), then reopen it here.` : '';
  $('.main').hidden = !!doc?.error;
  const cats = $('.cats');
  cats.replaceChildren();
  for (const [i, c] of (ds?.categories ?? []).entries()) {
    const b = document.createElement('button');
    b.className = c.id === categoryId ? 'active' : '';
    b.dataset.categoryId = String(c.id);
    b.title = `Class for new boxes and the selected box (${i + 1})`;
    b.innerHTML = `<span class="swatch"></span>`;
    b.querySelector<HTMLElement>('.swatch')!.style.background = categoryColour(ds!.categories, c.id);
    b.append(`${i < 9 ? `${i + 1} ` : ''}${c.name}`);
    b.addEventListener('click', () => act({ do: 'category', index: i }));
    cats.appendChild(b);
  }
  if (list === 'full') renderImageList($('.list'), doc ? imageRows(doc) : [], imageId, (id) => showImage(id));
  else if (list === 'current') markCurrent($('.list'), imageId);
  else if (list !== 'none' && doc) updateImageRows($('.list'), imageRows(doc, list));
  const q = currentSuspect();
  $('.queue').hidden = !q;
  if (q && doc) {
    const decided = doc.review[String(q.imageId)];
    const pos = doc.queue.indexOf(q) + 1;
    $('.queue .what').textContent =
      `Suspect ${pos} of ${doc.queue.length}: given '${q.givenLabel}'` +
      (q.suggestedLabel ? `, model suggests '${q.suggestedLabel}'` : '') +
      (q.score !== undefined ? ` (score ${q.score.toFixed(2)})` : '') +
      (decided ? ` — decided: ${decided.status}${decided.label ? ` '${decided.label}'` : ''}` : '');
  }
  render();
}

// ---- actions -----------------------------------------------------------------------------
async function act(a: KeyAction): Promise<void> {
  const img = currentImage();
  const ds = doc?.dataset;
  switch (a.do) {
    case 'delete':
      if (selected !== null) {
        const id = selected;
        selected = null;
        await edit({ kind: 'deleteBoxes', ids: [id] });
      }
      return;
    case 'category': {
      const c = ds?.categories[a.index];
      if (!c) return notice(`there is no class ${a.index + 1}`, 'warning');
      categoryId = c.id;
      persist();
      renderAll('none');
      if (selected !== null) await edit({ kind: 'setCategory', ids: [selected], categoryId: c.id });
      return;
    }
    case 'image':
      return step(a.step);
    case 'zoom': {
      if (!view) return;
      const { w, h } = canvasSize();
      view = zoomAt(view, a.factor, w / 2, h / 2);
      return render();
    }
    case 'fit':
      view = null;
      return render();
    case 'pan':
      if (view) view = { ...view, ox: view.ox + a.dx, oy: view.oy + a.dy };
      return render();
    case 'deselect':
      selected = null;
      drag = null;
      return render();
    case 'cycle': {
      const list = boxesOf(imageId);
      if (!list.length) return;
      const i = list.findIndex((b) => b.id === selected);
      selected = list[(i + 1) % list.length]!.id;
      return render();
    }
    case 'accept':
    case 'reject': {
      const pending = boxesOf(imageId).filter((b) => isPendingSuggestion(b) && (a.all || b.id === selected));
      // Accept all honours the score threshold; rejecting all clears every suggestion.
      const ids = pending.filter((b) => !(a.all && a.do === 'accept') || (b.score ?? 0) >= minScore).map((b) => b.id);
      if (!ids.length) return notice(pending.length ? `no suggestion scores ${minScore} or more` : a.all ? 'no suggested boxes on this image' : 'select a suggested (dashed) box first', 'warning');
      await edit({ kind: a.do === 'accept' ? 'acceptSuggestions' : 'rejectSuggestions', ids });
      return;
    }
    case 'suggest': {
      if (!img || !ds) return;
      const cat = categoryId ?? ds.categories[0]?.id;
      if (cat === undefined) return notice('the file has no classes to give suggested boxes', 'warning');
      notice(`asking the compute server for ${source} boxes…`);
      try {
        const r = await ch.request('suggest', { imageId: img.id, source, categoryId: cat }, 120_000);
        notice(r.ok ? `${r.ids?.length ?? 0} suggested box(es): accept (a) or reject (r) each, or all (Shift+A / Shift+R)` : (r.message ?? 'no suggestions'), r.ok ? 'info' : 'warning');
      } catch (e) {
        notice(`Suggest Boxes failed: ${e instanceof Error ? e.message : String(e)}`, 'error');
      }
      return;
    }
    case 'reviewed':
      if (!img) return;
      await edit({ kind: 'review', imageId: img.id, entry: doc?.review[String(img.id)]?.status === 'reviewed' ? null : { status: 'reviewed' } });
      return;
    case 'keep':
    case 'relabel':
    case 'exclude': {
      const q = currentSuspect();
      if (!q || q.imageId === undefined) return notice('this image is not in the review queue', 'warning');
      const label = q.suggestedLabel ?? ds?.categories.find((c) => c.id === categoryId)?.name;
      if (a.do === 'relabel' && !label) return notice('no suggested label: pick a class (1-9) first', 'warning');
      const entry = a.do === 'keep' ? { status: 'kept' as const } : a.do === 'exclude' ? { status: 'excluded' as const } : { status: 'relabelled' as const, label: label! };
      await edit({ kind: 'review', imageId: q.imageId, entry });
      return act({ do: 'nextSuspect' });
    }
    case 'nextSuspect': {
      // The next undecided suspect after the current one in report order, wrapping around.
      const queue = doc?.queue ?? [];
      const here = queue.findIndex((q) => q.imageId === imageId);
      const order = [...queue.slice(here + 1), ...queue.slice(0, here + 1)];
      const next = order.find((q) => q.imageId !== undefined && !doc?.review[String(q.imageId)]);
      if (!next) return notice('every suspect label has been reviewed');
      return showImage(next.imageId!);
    }
  }
}

// ---- pointer -----------------------------------------------------------------------------
function point(e: PointerEvent | WheelEvent): [number, number] {
  const r = canvas.getBoundingClientRect();
  return [e.clientX - r.left, e.clientY - r.top];
}

canvas.addEventListener('pointerdown', (e) => {
  const img = currentImage();
  if (!img || !view) return;
  canvas.focus();
  canvas.setPointerCapture(e.pointerId);
  const [x, y] = point(e);
  if (e.button === 1 || e.button === 2 || spaceDown) {
    drag = { kind: 'pan', sx: x, sy: y, view };
    return;
  }
  if (e.button !== 0) return;
  const hit = hitTest(view, boxesOf(img.id), selected, x, y);
  const p = toImage(view, x, y);
  if (hit) {
    selected = hit.id;
    const a = boxesOf(img.id).find((b) => b.id === hit.id)!;
    drag = { kind: 'edit', id: hit.id, part: hit.part, start: p, orig: a.bbox, cur: a.bbox };
  } else {
    selected = null;
    drag = { kind: 'draw', start: p, cur: p };
  }
  render();
});

canvas.addEventListener('pointermove', (e) => {
  const [x, y] = point(e);
  const img = currentImage();
  if (!view || !img) return;
  if (!drag) {
    canvas.style.cursor = cursorFor(hitTest(view, boxesOf(img.id), selected, x, y));
    return;
  }
  if (drag.kind === 'pan') {
    view = { ...drag.view, ox: drag.view.ox + x - drag.sx, oy: drag.view.oy + y - drag.sy };
  } else {
    const p = toImage(view, x, y);
    if (drag.kind === 'draw') drag.cur = p;
    else {
      const moved = dragBox(drag.orig, drag.part, p[0] - drag.start[0], p[1] - drag.start[1]);
      drag.cur = drag.part === 'inside' ? keepInside(moved, img.width, img.height) : moved;
    }
  }
  render();
});

async function endDrag(): Promise<void> {
  const d = drag;
  const img = currentImage();
  drag = null;
  if (!d || !img || !view || d.kind === 'pan') return render();
  if (d.kind === 'draw') {
    const b = boxFromPoints(d.start, d.cur);
    if (b[2] * view.scale < CLICK_SLOP || b[3] * view.scale < CLICK_SLOP) return render();
    const cat = categoryId ?? doc?.dataset?.categories[0]?.id;
    if (cat === undefined) return notice('the file has no classes: add categories to it first', 'warning');
    render();
    const ids = await edit({ kind: 'addBox', imageId: img.id, bbox: b, categoryId: cat });
    if (ids[0] !== undefined) selected = ids[0];
    return render();
  }
  const moved = d.cur.some((v, i) => Math.abs(v - d.orig[i]!) * view!.scale >= 0.5);
  if (!moved) return render();
  // Keep showing the dragged box until the host's new state arrives.
  drag = { ...d };
  render();
  await edit({ kind: 'setBox', id: d.id, bbox: d.cur });
  drag = null;
  render();
}

canvas.addEventListener('pointerup', () => void endDrag());
canvas.addEventListener('pointercancel', () => {
  drag = null;
  render();
});
canvas.addEventListener('contextmenu', (e) => e.preventDefault());
canvas.addEventListener(
  'wheel',
  (e) => {
    if (!view) return;
    e.preventDefault();
    const [x, y] = point(e);
    view = zoomAt(view, Math.pow(1.0015, -e.deltaY), x, y);
    render();
  },
  { passive: false },
);

// ---- keyboard + toolbar ------------------------------------------------------------------
window.addEventListener('keydown', (e) => {
  if (volumeState) return; // the 3D views handle their own keys
  const t = e.target as HTMLElement | null;
  if (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
  if (e.key === ' ') {
    spaceDown = true;
    return;
  }
  const a = keyAction(e);
  if (!a) return;
  e.preventDefault();
  void act(a);
});
window.addEventListener('keyup', (e) => {
  if (e.key === ' ') spaceDown = false;
});
sourceSelect.addEventListener('change', () => {
  source = sourceSelect.value as Source;
  persist();
});
minScoreInput.addEventListener('change', () => {
  const v = Number(minScoreInput.value);
  minScore = Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : 0;
  minScoreInput.value = String(minScore);
  persist();
});
const BUTTONS: Record<string, KeyAction | 'queue'> = {
  suggest: { do: 'suggest' },
  acceptAll: { do: 'accept', all: true },
  rejectAll: { do: 'reject', all: true },
  reviewed: { do: 'reviewed' },
  fit: { do: 'fit' },
  keep: { do: 'keep' },
  relabel: { do: 'relabel' },
  exclude: { do: 'exclude' },
  nextSuspect: { do: 'nextSuspect' },
  queue: 'queue',
};
app.addEventListener('click', (e) => {
  const b = (e.target as HTMLElement).closest<HTMLElement>('button[data-action]');
  const a = b && BUTTONS[b.dataset.action ?? ''];
  if (!a) return;
  if (a !== 'queue') return void act(a);
  ch.request('openReviewQueue', null, 600_000)
    .then((r) => {
      notice(r.count ? `${r.count} suspect label(s) to review${r.unmatched ? ` (${r.unmatched} not in this file)` : ''}` : 'no suspects opened');
      const first = doc?.queue.find((q) => q.imageId !== undefined && !doc?.review[String(q.imageId)]);
      if (first) showImage(first.imageId!);
    })
    .catch((err: unknown) => notice(String(err instanceof Error ? err.message : err), 'error'));
});
new ResizeObserver(() => render()).observe($('.stage'));

// ---- host messages -----------------------------------------------------------------------
/** Set once a .mrk.json opened: the 3D views take over the page. */
let volumeState: ((s: AnnotatorState) => void) | null = null;

function accept(s: AnnotatorState): void {
  if (doc && s.version < doc.version && s.fileName === doc.fileName) return; // stale
  if (s.kind === 'roi') {
    doc = s;
    if (!volumeState) {
      $('.root').hidden = true;
      const root3d = document.createElement('div');
      root3d.className = 'root volume';
      app.appendChild(root3d);
      volumeState = startVolumeMode(root3d, ch, (m, level = 'info') => {
        const el = root3d.querySelector<HTMLElement>('.msg')!;
        el.textContent = m;
        el.className = `msg ${level}`;
      });
    }
    return volumeState(s);
  }
  doc = s;
  sortedImages = s.dataset ? [...s.dataset.images].sort((a, b) => a.id - b.id) : [];
  if (categoryId === null || !s.dataset?.categories.some((c) => c.id === categoryId)) categoryId = s.dataset?.categories[0]?.id ?? null;
  const list = images();
  if (imageId === null || !list.some((i) => i.id === imageId)) {
    const first = list[0]?.id ?? null;
    if (first !== imageId) {
      showImage(first);
      return renderAll();
    }
  }
  if (selected !== null && !boxesOf(imageId).some((b) => b.id === selected)) selected = null;
  loadBitmap(imageId);
  renderAll();
}

/** An edit's change: applied in place (a large dataset is not resent), or a resync when out of step. */
function applyPatch(p: AnnotatorPatch): void {
  const ds = doc?.dataset;
  if (!doc || !ds || p.version !== doc.version + 1) {
    ch.request('ready', null)
      .then(accept)
      .catch((e: unknown) => notice(`lost step with the document: ${e instanceof Error ? e.message : String(e)}`, 'error'));
    return;
  }
  const gone = new Set([...p.remove, ...p.upsert.map((a) => a.id)]);
  const touched = new Set<number>(p.upsert.map((a) => a.image_id));
  for (const a of ds.annotations) if (gone.has(a.id)) touched.add(a.image_id);
  ds.annotations = ds.annotations.filter((a) => !gone.has(a.id)).concat(p.upsert);
  for (const [id, entry] of Object.entries(p.review)) {
    touched.add(Number(id));
    if (entry) doc.review[id] = entry;
    else delete doc.review[id];
  }
  doc.version = p.version;
  if (selected !== null && !boxesOf(imageId).some((b) => b.id === selected)) selected = null;
  renderAll(touched);
}

ch.on('state', accept);
ch.on('patch', applyPatch);
ch.on('notice', (n) => notice(n.message, n.level));
ch.on('showImage', ({ imageId: id }) => showImage(id));
ch.on('drawBox', (d) => {
  showImage(d.imageId);
  const cat = d.categoryId ?? categoryId ?? doc?.dataset?.categories[0]?.id;
  if (cat === undefined) return notice('the file has no classes: add categories to it first', 'warning');
  void edit({ kind: 'addBox', imageId: d.imageId, bbox: d.bbox, categoryId: cat }).then((ids) => {
    if (ids[0] !== undefined) selected = ids[0];
    render();
  });
});
ch.request('ready', null)
  .then(accept)
  .catch((e: unknown) => notice(`the annotator could not start: ${e instanceof Error ? e.message : String(e)}`, 'error'));
