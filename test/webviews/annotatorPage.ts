/**
 * Test helpers for the annotator webview: opens dist/webviews/annotator.js in Chromium with the
 * extension's side played by the real AnnotatorSession (the same handlers the custom editor
 * uses), an undo stack standing in for VS Code's, and image coordinates -> page coordinates.
 */
import { PNG } from 'pngjs';
import type { Browser } from 'playwright-core';
import { AnnotatorSession, type SessionHost } from '../../extension/src/editors/annotator/session';
import type { AnnotatorIntent, RoiIntent, SuggestedBox, SuspectItem, VolumeSource, WireMessage } from '../../server/src/protocol';
import { openWebview, type WebviewPage } from './harness';

/** A PNG data URL: a dark image with a bright square, so a screenshot shows where it is. */
export function pngDataUrl(w: number, h: number): string {
  const png = new PNG({ width: w, height: h });
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      const lesion = Math.hypot(x - w * 0.6, y - h * 0.5) < Math.min(w, h) * 0.2;
      const v = lesion ? 200 : 40 + ((x * 3 + y * 5) % 30);
      png.data[i] = v;
      png.data[i + 1] = lesion ? 120 : v;
      png.data[i + 2] = lesion ? 90 : v;
      png.data[i + 3] = 255;
    }
  }
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}

export interface UndoEntry {
  label: string;
  undo(): void;
  redo(): void;
}

export interface AnnotatorPage {
  wv: WebviewPage;
  session: AnnotatorSession;
  /** VS Code's edit stack, as the custom editor would fill it. */
  undoStack: UndoEntry[];
  redoStack: UndoEntry[];
  undo(): void;
  redo(): void;
  /** Edit intents the webview posted, in order. */
  intents(): Promise<AnnotatorIntent[]>;
  /** Page coordinates of an image pixel position on the canvas. */
  at(x: number, y: number): Promise<[number, number]>;
  /** Drags with the real mouse from one image position to another. */
  drag(from: [number, number], to: [number, number]): Promise<void>;
  /** Waits until the webview has posted `n` edits and the host state has reached the page. */
  edits(n: number): Promise<AnnotatorIntent[]>;
  /** Waits until the canvas shows `imageId` with its pixels loaded. */
  imageShown(imageId: number): Promise<void>;
  close(): Promise<void>;
}

export async function openAnnotator(
  browser: Browser,
  text: string,
  opts: { state?: unknown; sizes?: Record<string, [number, number]>; suggest?: SuggestedBox[]; queue?: SuspectItem[]; canEdit?: boolean; volume?: VolumeSource; fileName?: string; width?: number; height?: number } = {},
): Promise<AnnotatorPage> {
  const undoStack: UndoEntry[] = [];
  const redoStack: UndoEntry[] = [];
  const host: SessionHost = {
    imageSrc: async (fileName) => {
      const size = opts.sizes?.[fileName];
      if (!size) throw new Error(`image '${fileName}' is not in the test's set`);
      return pngDataUrl(size[0], size[1]);
    },
    suggest: async () => opts.suggest ?? [],
    volumeSource: async () => {
      if (!opts.volume) throw new Error('the test gave no volume');
      return { source: opts.volume, maxBytes: 1 << 30 };
    },
    pickReviewQueue: async () => opts.queue ?? null,
    pushEdit: (e) => {
      undoStack.push(e);
      redoStack.length = 0;
    },
    canEdit: () => opts.canEdit ?? true,
  };
  const session = new AnnotatorSession(opts.fileName ?? 'boxes.coco.json', text, host);
  const wv = await openWebview(browser, 'annotator', { state: opts.state, width: opts.width ?? 1100, height: opts.height ?? 720 });
  const h = session.handlers();
  wv.answer('ready', () => h.ready(null));
  wv.answer('edit', (p) => h.edit(p as AnnotatorIntent));
  wv.answer('editRoi', (p) => h.editRoi(p as RoiIntent));
  wv.answer('volume', () => h.volume(null));
  wv.answer('image', (p) => h.image(p as { imageId: number }));
  wv.answer('suggest', (p) => h.suggest(p as Parameters<typeof h.suggest>[0]));
  wv.answer('openReviewQueue', () => h.openReviewQueue(null));
  session.onDidUpdate((u) => void wv.send({ kind: 'event', type: u.type, payload: u.payload }));

  const canvas = wv.page.locator('canvas');
  const at = async (x: number, y: number): Promise<[number, number]> => {
    const d = await canvas.evaluate((c: HTMLCanvasElement) => {
      const r = c.getBoundingClientRect();
      return { left: r.left, top: r.top, ox: Number(c.dataset.ox), oy: Number(c.dataset.oy), scale: Number(c.dataset.scale) };
    });
    return [d.left + d.ox + x * d.scale, d.top + d.oy + y * d.scale];
  };
  const intents = async () =>
    (await wv.posted()).filter((m): m is Extract<WireMessage, { kind: 'request' }> => m.kind === 'request' && m.method === 'edit').map((m) => m.params as AnnotatorIntent);
  const page: AnnotatorPage = {
    wv,
    session,
    undoStack,
    redoStack,
    undo() {
      const e = undoStack.pop();
      if (!e) throw new Error('nothing to undo');
      e.undo();
      redoStack.push(e);
    },
    redo() {
      const e = redoStack.pop();
      if (!e) throw new Error('nothing to redo');
      e.redo();
      undoStack.push(e);
    },
    intents,
    at,
    async drag(from, to) {
      const a = await at(...from);
      const b = await at(...to);
      await wv.page.mouse.move(a[0], a[1]);
      await wv.page.mouse.down();
      await wv.page.mouse.move(b[0], b[1], { steps: 4 });
      await wv.page.mouse.up();
    },
    async edits(n) {
      // Every answered edit bumps the session's version; the page shows it when both match.
      await wv.waitForPosted(() => true);
      await wv.page.waitForFunction(
        ([count]) => (window as unknown as { __posted: { kind: string; method?: string }[] }).__posted.filter((m) => m.kind === 'request' && m.method === 'edit').length >= count,
        [n] as const,
      );
      const want = session.state().version;
      await wv.page.waitForFunction((v) => document.querySelector('canvas')?.dataset.version === String(v), want);
      return intents();
    },
    async imageShown(imageId) {
      await wv.page.waitForFunction((id) => {
        const c = document.querySelector('canvas');
        return c?.dataset.imageId === String(id) && c.dataset.ready === '1';
      }, imageId);
    },
    close: () => wv.close(),
  };
  return page;
}
