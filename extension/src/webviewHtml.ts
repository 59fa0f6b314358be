/**
 * The HTML shell of every MedStudio webview: strict CSP (nonce'd script and styles, no remote content),
 * theme colours from VS Code's CSS variables. Pure function (no `vscode` import) so the
 * Chromium webview tests build the very same page.
 */
import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  title: string;
  /** URI of the bundled script (dist/webviews/<name>.js) as the webview sees it. */
  scriptUri: string;
  /** webview.cspSource: where local resources (wasm, images) may come from. */
  cspSource: string;
  nonce: string;
  /** Allow wasm compilation in the webview (itk-wasm decoding). */
  wasm?: boolean;
}

/** 128 random bits from Node's CSPRNG (Math.random is predictable, so a page's nonce could be guessed). */
export function makeNonce(): string {
  return randomBytes(16).toString('hex');
}

export function renderWebviewHtml(o: WebviewHtmlOptions): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data: blob:`,
    // No 'unsafe-inline': the shell's and the bundles' <style> elements carry the nonce.
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `font-src ${o.cspSource}`,
    `script-src 'nonce-${o.nonce}'${o.wasm ? " 'wasm-unsafe-eval'" : ''}`,
    `worker-src ${o.cspSource} blob:`,
    `connect-src ${o.cspSource} data: blob:`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>${o.title.replace(/[<>&"]/g, '')}</title>
<style nonce="${o.nonce}">
  html, body { margin: 0; padding: 0; height: 100%; overflow: hidden;
    background: var(--vscode-editor-background, #1e1e1e); color: var(--vscode-foreground, #ccc);
    font-family: var(--vscode-font-family, sans-serif); font-size: var(--vscode-font-size, 13px); }
</style>
</head>
<body>
<div id="app"></div>
<script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}
