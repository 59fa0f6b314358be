/**
 * The image list beside the canvas: each image with its class, box count and review state.
 * An image's class is the label decided in review, else the label the suspects report says it
 * was given, else the classes of its boxes.
 */
import { annotationsByImage, isPendingSuggestion } from '../../../server/src/formats/coco';
import type { AnnotatorState } from '../../../server/src/protocol';

export interface ImageRow {
  id: number;
  name: string;
  cls: string;
  boxes: number;
  suggested: number;
  review: string;
}

export function imageRows(s: AnnotatorState, only?: ReadonlySet<number>): ImageRow[] {
  const ds = s.dataset;
  if (!ds) return [];
  const catName = new Map(ds.categories.map((c) => [c.id, c.name]));
  // Grouped once: a dataset has thousands of images and tens of thousands of boxes.
  const byImage = annotationsByImage(only ? { ...ds, annotations: ds.annotations.filter((a) => only.has(a.image_id)) } : ds);
  const suspects = new Map(s.queue.map((q) => [q.imageId, q]));
  return [...ds.images]
    .filter((img) => !only || only.has(img.id))
    .sort((a, b) => a.id - b.id)
    .map((img) => {
      const anns = byImage.get(img.id) ?? [];
      const rev = s.review[String(img.id)];
      const suspect = suspects.get(img.id);
      const boxClasses = [...new Set(anns.filter((a) => !isPendingSuggestion(a)).map((a) => catName.get(a.category_id) ?? '?'))].join(', ');
      const cls = rev?.status === 'relabelled' && rev.label ? rev.label : suspect ? suspect.givenLabel : boxClasses || '—';
      const review = rev ? rev.status : suspect ? 'suspect' : anns.some(isPendingSuggestion) ? 'to review' : '';
      return {
        id: img.id,
        name: img.file_name.split('/').pop() ?? img.file_name,
        cls,
        boxes: anns.filter((a) => !isPendingSuggestion(a)).length,
        suggested: anns.filter(isPendingSuggestion).length,
        review,
      };
    });
}

function cellTexts(r: ImageRow): string[] {
  return [r.name, r.cls, r.suggested ? `${r.boxes} +${r.suggested}?` : String(r.boxes), r.review];
}

/** Renders the list into `host`, marking `current`; clicking a row calls `pick`. */
export function renderImageList(host: HTMLElement, rows: readonly ImageRow[], current: number | null, pick: (id: number) => void): void {
  host.replaceChildren();
  const table = document.createElement('table');
  table.className = 'images';
  const head = table.createTHead().insertRow();
  for (const h of ['image', 'class', 'boxes', 'review']) {
    const th = document.createElement('th');
    th.textContent = h;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.dataset.imageId = String(r.id);
    tr.title = r.name;
    for (const text of cellTexts(r)) tr.insertCell().textContent = text;
  }
  // One listener for all rows: thousands of images.
  body.addEventListener('click', (e) => {
    const id = (e.target as HTMLElement).closest('tr')?.dataset.imageId;
    if (id) pick(Number(id));
  });
  host.appendChild(table);
  markCurrent(host, current);
}

/** Refreshes the rows of some images in place (after an edit touched only them). */
export function updateImageRows(host: HTMLElement, rows: readonly ImageRow[]): void {
  for (const r of rows) {
    const tr = host.querySelector<HTMLTableRowElement>(`tr[data-image-id="${r.id}"]`);
    if (!tr) continue;
    cellTexts(r).forEach((text, i) => {
      const td = tr.cells[i];
      if (td && td.textContent !== text) td.textContent = text;
    });
  }
}

/** Moves the highlight to the image shown. */
export function markCurrent(host: HTMLElement, current: number | null): void {
  host.querySelector('tr.current')?.classList.remove('current');
  const tr = current === null ? null : host.querySelector(`tr[data-image-id="${current}"]`);
  tr?.classList.add('current');
  tr?.scrollIntoView({ block: 'nearest' });
}
