/**
 * The box annotator in headless Chromium with the real mouse and keyboard; the extension's side
 * is the real AnnotatorSession, so the document the page edits is the one VS Code would save.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchBrowser } from './harness';
import { openAnnotator } from './annotatorPage';

const FIX = path.join(__dirname, 'annotator-fixtures');
const read = (f: string) => fs.readFileSync(path.join(FIX, f), 'utf8');
const SIZES: Record<string, [number, number]> = { 'images/a.png': [64, 48], 'images/b.png': [32, 32] };
/** A known zoom (8 canvas px per image px) so mouse positions land on whole image pixels. */
const STATE = (imageId: number) => ({ imageId, categoryId: 1, source: 'saliency', view: { scale: 8, ox: 24, oy: 24 } });
const SHOTS = process.env.MEDSTUDIO_SCREENSHOTS ?? path.join(os.tmpdir(), 'medstudio-screenshots');

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

test('draw, move, resize, relabel, delete and undo/redo with mouse and keys save the expected COCO', async () => {
  const a = await openAnnotator(browser, read('input.coco.json'), { state: STATE(1), sizes: SIZES });
  try {
    const { page } = a.wv;
    await a.imageShown(1);
    await a.drag([30, 10], [40, 30]); // draw
    await a.edits(1);
    await a.drag([35, 20], [37, 25]); // move the new (selected) box
    await a.edits(2);
    await a.drag([42, 35], [46, 37]); // resize by its bottom-right handle
    await a.edits(3);
    await page.keyboard.press('2'); // relabel the selected box
    await a.edits(4);
    const [x, y] = await a.at(8, 8);
    await page.mouse.click(x, y); // select the old box ...
    await page.waitForFunction(() => document.querySelector('canvas')?.dataset.selected === '1');
    await page.keyboard.press('Delete'); // ... and delete it
    await a.edits(5);
    await a.drag([50, 40], [70, 47]); // reaches past the right border: clipped, with a message
    await a.edits(6);
    await page.waitForFunction(() => /clipped/.test(document.querySelector('.status .msg')?.textContent ?? ''));

    assert.deepEqual(await a.intents(), [
      { kind: 'addBox', imageId: 1, bbox: [30, 10, 10, 20], categoryId: 1 },
      { kind: 'setBox', id: 3, bbox: [32, 15, 10, 20] },
      { kind: 'setBox', id: 3, bbox: [32, 15, 14, 22] },
      { kind: 'setCategory', ids: [3], categoryId: 2 },
      { kind: 'deleteBoxes', ids: [1] },
      { kind: 'addBox', imageId: 1, bbox: [50, 40, 20, 7], categoryId: 2 },
    ]);
    assert.deepEqual(a.undoStack.map((e) => e.label), ['Draw Box', 'Move Box', 'Move Box', 'Set Class melanoma', 'Delete Box', 'Draw Box']);

    // VS Code's Ctrl+Z / Ctrl+Shift+Z run the document's undo/redo; the page follows.
    const row = () => page.locator('tr[data-image-id="1"] td').nth(2).textContent();
    assert.equal(await row(), '2');
    a.undo(); // the clipped box goes
    a.undo(); // the deleted box comes back
    await page.waitForFunction(() => document.querySelector('tr[data-image-id="1"] td:nth-child(3)')?.textContent === '2');
    assert.ok(a.session.state().dataset?.annotations.some((b) => b.id === 1), 'undo restored the deleted box');
    a.redo(); // deleted again
    await page.waitForFunction(() => document.querySelector('tr[data-image-id="1"] td:nth-child(3)')?.textContent === '1');

    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'annotator-draw.png') });
    assert.equal(a.session.serialize(), read('after-draw.coco.json'));
  } finally {
    await a.close();
  }
});

test('suggested boxes are shown dashed with score, accepted or rejected one by one and all at once', async () => {
  const a = await openAnnotator(browser, read('input.coco.json'), {
    state: STATE(2),
    sizes: SIZES,
    suggest: [
      { bbox: [2, 2, 8, 8], score: 0.91, source: 'segmentation' },
      { bbox: [20, 20, 6, 6], score: 0.3, source: 'segmentation' },
    ],
  });
  try {
    const { page } = a.wv;
    await a.imageShown(2);
    await page.keyboard.press('s');
    const ask = await a.wv.waitForPosted((m) => m.kind === 'request' && m.method === 'suggest');
    assert.deepEqual(ask.kind === 'request' && ask.params, { imageId: 2, source: 'saliency', categoryId: 1 });
    await page.waitForFunction(() => document.querySelector('tr[data-image-id="2"] td:nth-child(3)')?.textContent === '0 +3?');
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'annotator-suggestions.png') });

    let [x, y] = await a.at(5, 5);
    await page.mouse.click(x, y);
    await page.keyboard.press('a'); // accept this one
    await a.edits(1);
    [x, y] = await a.at(23, 23);
    await page.mouse.click(x, y);
    await page.keyboard.press('r'); // reject this one
    await a.edits(2);
    await page.getByRole('button', { name: 'Accept all' }).click(); // the file's own suggestion
    await a.edits(3);
    assert.deepEqual(await a.intents(), [
      { kind: 'acceptSuggestions', ids: [3] },
      { kind: 'rejectSuggestions', ids: [4] },
      { kind: 'acceptSuggestions', ids: [2] },
    ]);
    assert.equal(await page.locator('tr[data-image-id="2"] td').nth(2).textContent(), '2');
    assert.equal(a.session.serialize(), read('after-suggestions.coco.json'));
  } finally {
    await a.close();
  }
});

test("a detector's suggestions: chosen with the keyboard, dashed with their score, accepted above a score threshold or one by one, keeping source model and score", async () => {
  const a = await openAnnotator(browser, read('input.coco.json'), {
    state: STATE(1),
    sizes: SIZES,
    suggest: [
      { bbox: [30, 20, 10, 8], score: 0.92, source: 'model' },
      { bbox: [2, 30, 6, 6], score: 0.61, source: 'model' },
      { bbox: [44, 4, 8, 8], score: 0.2, source: 'model' },
    ],
  });
  try {
    const { page } = a.wv;
    await a.imageShown(1);
    // The source menu by keyboard: focus it, pick "model (detection run)", back to the canvas.
    await page.locator('select.source').focus();
    await page.keyboard.press('End');
    assert.equal(await page.locator('select.source').inputValue(), 'model');
    await page.locator('canvas').focus();
    await page.keyboard.press('s');
    const ask = await a.wv.waitForPosted((m) => m.kind === 'request' && m.method === 'suggest');
    assert.deepEqual(ask.kind === 'request' && ask.params, { imageId: 1, source: 'model', categoryId: 1 });
    await page.waitForFunction(() => document.querySelector('tr[data-image-id="1"] td:nth-child(3)')?.textContent === '1 +3?');
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, 'annotator-model-suggestions.png') });

    // Threshold 0.5 typed into the box beside Accept all: the 0.92 and 0.61 boxes go, the 0.2 stays dashed.
    await page.locator('input.minScore').click({ clickCount: 3 });
    await page.keyboard.type('0.5');
    await page.keyboard.press('Tab');
    await page.getByRole('button', { name: 'Accept all' }).click();
    await a.edits(1);
    assert.equal(await page.locator('tr[data-image-id="1"] td').nth(2).textContent(), '3 +1?');
    // The low one, clicked and rejected with r.
    const [x, y] = await a.at(48, 8);
    await page.mouse.click(x, y);
    await page.keyboard.press('r');
    await a.edits(2);
    assert.deepEqual(await a.intents(), [
      { kind: 'acceptSuggestions', ids: [3, 4] },
      { kind: 'rejectSuggestions', ids: [5] },
    ]);
    assert.equal(await page.locator('tr[data-image-id="1"] td').nth(2).textContent(), '3');
    const saved = JSON.parse(a.session.serialize()) as { annotations: { id: number; source: string; score?: number; accepted?: boolean }[] };
    assert.deepEqual(
      saved.annotations.filter((b) => b.source === 'model').map((b) => ({ id: b.id, score: b.score, accepted: b.accepted })),
      [
        { id: 3, score: 0.92, accepted: true },
        { id: 4, score: 0.61, accepted: true },
      ],
    );
  } finally {
    await a.close();
  }
});

test('n/p walk the images, and a box dragged wholly outside the image is refused with a message', async () => {
  const a = await openAnnotator(browser, read('input.coco.json'), { state: STATE(1), sizes: SIZES });
  try {
    const { page } = a.wv;
    await a.imageShown(1);
    await page.keyboard.press('n');
    await a.imageShown(2);
    await page.keyboard.press('PageUp');
    await a.imageShown(1);
    const opened = a.session.serialize();
    await page.keyboard.press('-'); // zoom out, so the space beyond the image is on the canvas
    await page.keyboard.press('-');
    // Start and end beyond the image's bottom-right: nothing of the box is on the image.
    await a.drag([66, 50], [70, 54]);
    await page.waitForFunction(() => /outside image/.test(document.querySelector('.status .msg')?.textContent ?? ''));
    assert.equal(a.undoStack.length, 0);
    assert.equal(a.session.serialize(), opened);
  } finally {
    await a.close();
  }
});

test('suspect labels from the cleaning report are reviewed with keep / change / exclude', async () => {
  const a = await openAnnotator(browser, read('input.coco.json'), {
    state: STATE(1),
    sizes: SIZES,
    queue: [
      { image: 'images/a.png', imageId: 1, givenLabel: 'nevus', suggestedLabel: 'melanoma', score: 0.93 },
      { image: 'images/b.png', imageId: 2, givenLabel: 'melanoma', suggestedLabel: 'nevus', score: 0.71 },
    ],
  });
  try {
    const { page } = a.wv;
    await a.imageShown(1);
    await page.getByRole('button', { name: 'Review suspects…' }).click();
    await page.waitForSelector('.queue:not([hidden])');
    assert.match((await page.locator('.queue .what').textContent()) ?? '', /Suspect 1 of 2: given 'nevus', model suggests 'melanoma' \(score 0\.93\)/);
    await page.keyboard.press('c'); // change label to the suggested one, then on to the next suspect
    await a.edits(1);
    await a.imageShown(2);
    await page.keyboard.press('x');
    await a.edits(2);
    await page.waitForFunction(() => /every suspect label has been reviewed/.test(document.querySelector('.status .msg')?.textContent ?? ''));
    assert.deepEqual(a.session.state().review, { '1': { status: 'relabelled', label: 'melanoma' }, '2': { status: 'excluded' } });
    assert.equal(await page.locator('tr[data-image-id="1"] td').nth(1).textContent(), 'melanoma');
    assert.equal(await page.locator('tr[data-image-id="2"] td').nth(3).textContent(), 'excluded');
  } finally {
    await a.close();
  }
});

test('after a reload the annotator comes back on the same image, class and zoom', async () => {
  const a = await openAnnotator(browser, read('input.coco.json'), { sizes: SIZES });
  let saved: unknown;
  try {
    const { page } = a.wv;
    await a.imageShown(1);
    await page.keyboard.press('n');
    await a.imageShown(2);
    await page.keyboard.press('2');
    await page.keyboard.press('+');
    await page.waitForFunction(() => (window as unknown as { __state: { view?: { scale: number } } }).__state?.view?.scale !== undefined);
    saved = await page.evaluate(() => (window as unknown as { __state: unknown }).__state);
  } finally {
    await a.close();
  }
  const b = await openAnnotator(browser, read('input.coco.json'), { sizes: SIZES, state: saved });
  try {
    await b.imageShown(2);
    const restored = await b.wv.page.evaluate(() => ({ ...document.querySelector('canvas')!.dataset }));
    const view = (saved as { view: { scale: number } }).view;
    assert.equal(Number(restored.scale), view.scale, 'same zoom');
    assert.equal(await b.wv.page.locator('.cats button.active').textContent(), '2 melanoma');
  } finally {
    await b.close();
  }
});

test('a box file that does not parse shows the error and refuses edits', async () => {
  const a = await openAnnotator(browser, '{ "images": [ }', { sizes: SIZES });
  try {
    const { page } = a.wv;
    await page.waitForSelector('.error:not([hidden])');
    const text = (await page.locator('.error').textContent()) ?? '';
    assert.match(text, /will not be overwritten/);
    assert.match(text, /boxes\.coco\.json: malformed JSON at line 1, column 15/);
    assert.throws(() => a.session.serialize(), /was not saved/);
  } finally {
    await a.close();
  }
});
