/**
 * Self-contained HTML reports: one file, inline CSS, SVG plots and PNG data URIs, no scripts and
 * no external resources (it opens offline, inside VS Code's webview or any browser).
 */
import { PNG } from 'pngjs';

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function page(title: string, sections: string[]): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d1d1f;background:#fff;max-width:1100px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#f4f4f6}td.l,th.l{text-align:left}.grid{display:flex;flex-wrap:wrap;gap:12px}
figure{margin:0;text-align:center;font-size:12px}figure img{image-rendering:pixelated;border:1px solid #ccc}
.muted{color:#666}svg text{font:11px system-ui,sans-serif}
</style></head><body>
<h1>${esc(title)}</h1>
${sections.join('\n')}
</body></html>
`;
}

/** A key/value table. */
export function kvTable(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th class="l">${esc(k)}</th><td class="l">${esc(v)}</td></tr>`).join('')}</table>`;
}

/** RGBA bytes (width*height*4) -> PNG data URI. */
export function pngDataUri(rgba: Uint8Array, width: number, height: number): string {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return `data:image/png;base64,${PNG.sync.write(png).toString('base64')}`;
}
