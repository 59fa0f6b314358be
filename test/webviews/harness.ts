/**
 * Runs a built webview bundle (dist/webviews/<name>.js) in headless Chromium (Debian's
 * chromium + playwright-core) inside the same HTML shell the extension serves, with a
 * stand-in for the VS Code webview API: messages the webview posts are recorded, and the test
 * plays the extension's side (answers requests, sends events).
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { renderWebviewHtml } from '../../extension/src/webviewHtml';
import type { WireMessage } from '../../server/src/protocol';

export const ROOT = path.resolve(__dirname, '..', '..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumFlags(): string[] {
  return ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
}

export async function launchBrowser(opts: { webgl?: boolean } = {}): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's 'chromium' package (see README)`);
  const args = chromiumFlags().filter((f) => !(opts.webgl && f === '--disable-gpu'));
  if (opts.webgl) args.push('--use-angle=swiftshader', '--enable-unsafe-swiftshader');
  return chromium.launch({ executablePath: CHROMIUM, args });
}

/** Serves the repository read-only on 127.0.0.1 (so wasm/images load as they do in VS Code). */
export async function serveRoot(): Promise<{ url: string; close: () => Promise<void> }> {
  const types: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html', '.json': 'application/json', '.png': 'image/png', '.css': 'text/css' };
  const pages = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    if (pages.has(url)) {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end(pages.get(url));
    }
    const file = path.join(ROOT, url);
    if (!file.startsWith(ROOT) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const base = `http://127.0.0.1:${port}`;
  (serveRoot as unknown as { pages: Map<string, string> }).pages = pages;
  return { url: base, close: () => new Promise((r) => server.close(() => r())) };
}

export interface WebviewPage {
  page: Page;
  /** Every message the webview posted to the "extension", in order. */
  posted: () => Promise<WireMessage[]>;
  /** Sends a message from the "extension" to the webview. */
  send: (m: WireMessage) => Promise<void>;
  /** Answers the webview's requests of this method (the extension's role). */
  answer: (method: string, fn: (params: unknown) => unknown) => void;
  /** Waits until the webview has posted a message matching the predicate. */
  waitForPosted: (pred: (m: WireMessage) => boolean, timeoutMs?: number) => Promise<WireMessage>;
  /** What the page's Content-Security-Policy blocked so far (close() fails when anything was). */
  cspViolations: () => Promise<string[]>;
  close: () => Promise<void>;
}

/**
 * Opens dist/webviews/<name>.js. `state` pre-seeds vscode.getState() (a reload); the
 * stand-in keeps setState() so a test can reload and check the state came back.
 */
export async function openWebview(browser: Browser, name: string, opts: { state?: unknown; width?: number; height?: number } = {}): Promise<WebviewPage> {
  const bundle = path.join(ROOT, 'dist', 'webviews', `${name}.js`);
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} is missing: run 'npm run build'`);
  const srv = await serveRoot();
  const nonce = 'testnonce0123456789';
  const html = renderWebviewHtml({ title: name, scriptUri: `${srv.url}/dist/webviews/${name}.js`, cspSource: srv.url, nonce, wasm: true });
  const stub = `<script nonce="${nonce}">
    window.__posted = []; window.__state = ${JSON.stringify(opts.state ?? null)};
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => { window.__posted.push(m); if (window.__onPost) window.__onPost(m); },
      getState: () => window.__state, setState: (s) => { window.__state = s; } });
  </script>`;
  (serveRoot as unknown as { pages: Map<string, string> }).pages.set('/__webview.html', html.replace('<div id="app"></div>', `<div id="app"></div>${stub}`));
  const context = await browser.newContext({ viewport: { width: opts.width ?? 1000, height: opts.height ?? 700 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  const handlers = new Map<string, (p: unknown) => unknown>();
  const unanswered: WireMessage[] = [];
  const reply = async (m: WireMessage): Promise<void> => {
    if (m.kind !== 'request') return;
    const fn = handlers.get(m.method);
    if (!fn) {
      unanswered.push(m); // answered as soon as the test registers a handler
      return;
    }
    try {
      const result = await fn(m.params);
      await page.evaluate((r) => window.postMessage(r, '*'), { kind: 'response', id: m.id, ok: true, result } as WireMessage);
    } catch (e) {
      await page.evaluate((r) => window.postMessage(r, '*'), { kind: 'response', id: m.id, ok: false, error: String(e) } as WireMessage);
    }
  };
  await page.exposeFunction('__answerRequest', reply);
  await page.addInitScript(() => {
    (window as unknown as { __onPost: (m: unknown) => void }).__onPost = (m) =>
      (window as unknown as { __answerRequest: (m: unknown) => void }).__answerRequest(m);
    // Everything the page's CSP blocked (a style without the nonce, a remote load, ...).
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__csp.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'}${e.sample ? `: ${e.sample}` : ''}`));
  });
  await page.goto(`${srv.url}/__webview.html`);
  const posted = () => page.evaluate(() => (window as unknown as { __posted: WireMessage[] }).__posted);
  return {
    page,
    posted,
    send: async (m) => void (await page.evaluate((msg) => window.postMessage(msg, '*'), m)),
    answer: (method, fn) => {
      handlers.set(method, fn);
      for (const m of unanswered.splice(0)) void reply(m);
    },
    async waitForPosted(pred, timeoutMs = 10_000) {
      const t0 = Date.now();
      for (;;) {
        const hit = (await posted()).find(pred);
        if (hit) return hit;
        if (errors.length) throw new Error(`webview error: ${errors.join('; ')}`);
        if (Date.now() - t0 > timeoutMs) throw new Error('timed out waiting for a message from the webview');
        await page.waitForTimeout(25);
      }
    },
    cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
    close: async () => {
      const blocked = await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp).catch(() => [] as string[]);
      await context.close();
      await srv.close();
      // Every webview test also checks that the strict CSP (no 'unsafe-inline') let the page work.
      if (blocked.length) throw new Error(`the webview's CSP blocked: ${blocked.join('; ')}`);
    },
  };
}
