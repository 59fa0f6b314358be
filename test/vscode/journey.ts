/**
 * The user journey, driven through the workbench UI with a real mouse and keyboard (Playwright
 * in Chromium against the same code-server, a fresh window and workspace): command palette ->
 * New Experiment from Template -> make it short (Find/Replace, Save) -> Train Experiment -> the
 * Training panel shows the epochs and "finished" -> "Explain a test image" -> pick an image in
 * the file dialog -> Grad-CAM -> the viewer lists the heatmap -> open a COCO file -> draw a box,
 * undo it, draw it again, save -> the file on disk holds the box. Each step says what it waited
 * for when it fails, with a screenshot beside the log.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, FrameLocator, Page } from 'playwright-core';
import { PNG } from 'pngjs';

export interface JourneyResult {
  ok: boolean;
  steps: string[];
  error?: string;
  screenshot?: string;
}

const COCO = {
  images: [{ id: 1, file_name: 'images/a.png', width: 64, height: 48 }],
  annotations: [] as unknown[],
  categories: [{ id: 1, name: 'lesion' }],
};

function writeCocoDataset(ws: string): string {
  const dir = path.join(ws, 'journey-boxes');
  fs.mkdirSync(path.join(dir, 'images'), { recursive: true });
  const png = new PNG({ width: 64, height: 48 });
  png.data.fill(120);
  fs.writeFileSync(path.join(dir, 'images', 'a.png'), PNG.sync.write(png));
  const file = path.join(dir, 'journey.coco.json');
  fs.writeFileSync(file, `${JSON.stringify(COCO, null, 2)}\n`);
  return file;
}

async function palette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
  await page.keyboard.press('Enter');
}

async function quickPick(page: Page, text: string): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(text);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first().waitFor();
  await page.keyboard.press('Enter');
}

/** The webview whose document holds `selector` (webviews are nested iframes). */
async function webviewWith(page: Page, selector: string, timeoutMs: number): Promise<FrameLocator> {
  const t0 = Date.now();
  for (;;) {
    const outer = page.locator('iframe.webview.ready');
    const n = await outer.count();
    for (let i = 0; i < n; i++) {
      const inner = page.frameLocator('iframe.webview.ready').nth(i).frameLocator('#active-frame');
      if ((await inner.locator(selector).count().catch(() => 0)) > 0) return inner;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`no webview shows ${selector} within ${timeoutMs / 1000} s`);
    await page.waitForTimeout(250);
  }
}

/** `payload`: the workbench's start options (the development folder in dev mode; none for the installed .vsix). */
export async function runJourney(browser: Browser, url: string, payload: string[][], ws: string, state: string, log: (s: string) => void): Promise<JourneyResult> {
  const steps: string[] = [];
  const step = (s: string) => {
    steps.push(s);
    log(`    journey: ${s}`);
  };
  const coco = writeCocoDataset(ws);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    await page.goto(`${url}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(JSON.stringify([...payload, ['skipWelcome', 'true']]))}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: /MedStudio: \w/ }).first().waitFor({ timeout: 120_000 });
    await page.locator('.monaco-workbench .part.editor').click();
    step('the workbench is up and the status bar shows the compute backend');

    await palette(page, 'MedStudio: New Experiment from Template');
    // The skin sample's baseline (the shortcut-lesions demo has a cross-entropy baseline too).
    await quickPick(page, 'skin lesions, cross-entropy baseline');
    // It asks where (code-server's simple folder dialog, starting at the workspace folder): a new folder there.
    await page.locator('.quick-input-widget', { hasText: 'Where should the supervised experiment go?' }).waitFor({ timeout: 30_000 });
    const where = path.join(ws, 'my-experiments');
    fs.mkdirSync(where, { recursive: true });
    const folderInput = page.locator('.quick-input-widget input');
    // The dialog completes a folder name with a trailing slash once it has listed it.
    for (let i = 0; i < 20 && (await folderInput.inputValue()).replace(/\/$/, '') !== where; i++) {
      await folderInput.fill(where);
      await page.waitForTimeout(250);
    }
    // A click while the dialog is still listing the folder is ignored by it: click until it closes.
    // Its listing can also put the workspace folder back in the input (seen once on a loaded host):
    // the folder is typed again before each click, so the click never creates it elsewhere.
    const whereDialog = page.locator('.quick-input-widget', { hasText: 'Where should the supervised experiment go?' });
    for (let i = 0; i < 20 && (await whereDialog.isVisible()); i++) {
      const typed = await folderInput.inputValue().catch(() => where);
      if (typed.replace(/\/$/, '') !== where) {
        await folderInput.fill(where).catch(() => undefined);
        await page.waitForTimeout(250);
        continue;
      }
      await page.locator('.quick-input-widget .monaco-button', { hasText: 'Create the experiment here' }).click({ timeout: 2_000 }).catch(() => undefined);
      await page.waitForTimeout(500);
    }
    await page.locator('.tab.active', { hasText: /supervised\.medstudio\.yaml/ }).waitFor({ timeout: 30_000 });
    assert.ok(fs.existsSync(path.join(where, 'medstudio-samples', 'skin-lesions', 'labels.csv')), 'the skin-lesion samples were copied beside it');
    assert.ok(!fs.existsSync(path.join(where, 'medstudio-samples', 'ct-nodules')), 'and nothing the experiment does not read');
    step('New Experiment from Template asked where, copied the one dataset it reads and named the file after its method');

    // Shorten it as a person would: Find/Replace, then Save.
    // The editor in the editor area: the Chat view's input is a Monaco editor too, and took the
    // keystrokes when this clicked the first one on the page.
    const editor = page.locator('.part.editor .monaco-editor .view-lines').first();
    await editor.click();
    await page.keyboard.press('Control+H');
    await page.locator('.part.editor .find-widget.visible').waitFor({ timeout: 10_000 });
    await page.keyboard.type('epochs: 10');
    await page.keyboard.press('Tab');
    await page.keyboard.type('epochs: 2');
    await page.keyboard.press('Control+Alt+Enter');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+S');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    await editor.filter({ hasText: /epochs:\s2,/ }).waitFor({ timeout: 10_000 });
    step('edited to 2 epochs with Find/Replace and saved');

    await palette(page, 'MedStudio: Train Experiment');
    const panel = await webviewWith(page, '.run', 60_000);
    await panel.locator('.run', { hasText: /epoch \d+\/2/ }).first().waitFor({ timeout: 120_000 });
    step('the Training panel shows the run with its epochs');
    await panel.locator('.run .s-finished').first().waitFor({ timeout: 300_000 });
    step('the run finished');

    await panel.locator('.run').first().click();
    await panel.locator('button[data-act="explain"]').click();
    const image = path.join(ws, 'samples', 'skin-lesions', 'images', fs.readdirSync(path.join(ws, 'samples', 'skin-lesions', 'images')).sort()[0]!);
    // The file dialog (code-server's simple dialog): type the image's path, press its button.
    await page.locator('.quick-input-widget', { hasText: 'Which image should the model explain?' }).waitFor({ timeout: 30_000 });
    // The simple dialog sets its own starting path once it is ready; a fill that lands before that
    // is overwritten, so fill until the input holds the image's path.
    const input = page.locator('.quick-input-widget input');
    for (let i = 0; i < 20 && (await input.inputValue()) !== image; i++) {
      await input.fill(image);
      await page.waitForTimeout(250);
    }
    await page.locator('.quick-input-widget .monaco-button', { hasText: 'Explain this image' }).click();
    await page.locator('.quick-input-widget', { hasText: 'Explanation method' }).waitFor({ timeout: 60_000 });
    await quickPick(page, 'Grad-CAM');
    const viewer = await webviewWith(page, '[data-overlay^="gradcam:"]', 120_000);
    const name = await viewer.locator('[data-overlay^="gradcam:"]').first().innerText();
    step(`Explain showed the heatmap in the viewer ("${name.split('\n')[0]}")`);

    await page.keyboard.press('Control+P');
    await quickPick(page, 'journey.coco.json');
    // The annotator's image canvas (the training panel's charts are canvases too).
    const annot = await webviewWith(page, '.stage canvas', 60_000);
    const canvas = annot.locator('.stage canvas').first();
    await page.waitForTimeout(500); // the image's first paint
    const box = await canvas.boundingBox();
    if (!box) throw new Error('the annotator canvas has no size');
    const drag = async () => {
      await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.3);
      await page.mouse.down();
      await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.7, { steps: 6 });
      await page.mouse.up();
    };
    await drag();
    await page.locator('.tab.active.dirty').waitFor({ timeout: 10_000 });
    step('a box drawn with the mouse marks the file dirty');
    await page.keyboard.press('Control+Z');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    // The webview learns of the undo after the tab turns clean: until its list shows no box, a drag
    // at the same place would grab the box it still draws ("box 1 does not exist").
    await annot.locator('tr[data-image-id] td:nth-child(3)', { hasText: /^0$/ }).first().waitFor({ timeout: 10_000 });
    step('Ctrl+Z undid it (clean again)');
    await drag();
    await page.locator('.tab.active.dirty').waitFor({ timeout: 10_000 });
    await page.keyboard.press('Control+S');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    const saved = JSON.parse(fs.readFileSync(coco, 'utf8')) as { annotations: { bbox: number[]; image_id: number; source?: string }[] };
    if (saved.annotations.length !== 1) throw new Error(`the saved file holds ${saved.annotations.length} boxes, not 1`);
    const [x, y, w, h] = saved.annotations[0]!.bbox;
    if (!(w! > 5 && h! > 5 && x! >= 0 && y! >= 0 && x! + w! <= 64 && y! + h! <= 48)) throw new Error(`the saved box ${JSON.stringify(saved.annotations[0])} is not inside the image`);
    step(`saved: one box ${JSON.stringify(saved.annotations[0]!.bbox)} on image ${saved.annotations[0]!.image_id}`);
    return { ok: true, steps };
  } catch (e) {
    const shot = path.join(state, 'journey-failure.png');
    await page.screenshot({ path: shot }).catch(() => undefined);
    return { ok: false, steps, error: e instanceof Error ? e.message.split('\n')[0] : String(e), screenshot: shot };
  } finally {
    await page.close().catch(() => undefined);
  }
}
