/**
 * Small SVG charts for the status panel: line curves, horizontal bars, a confusion matrix.
 * Pure string builders (no DOM), so they are easy to test and cheap to redraw on every event.
 */
import { fitScale } from './scale';

export interface Series {
  name: string;
  points: [number, number][];
  color: string;
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));

export function lineChart(title: string, series: Series[], w = 320, h = 160): string {
  const pts = series.flatMap((s) => s.points);
  const pad = { l: 40, r: 8, t: 18, b: 20 };
  if (pts.length === 0) return `<svg class="chart" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><text x="8" y="14" class="t">${esc(title)}</text><text x="${w / 2}" y="${h / 2}" text-anchor="middle" class="muted">no data yet</text></svg>`;
  const { y0, y1, X, Y } = fitScale(pts, w, h, pad);
  const lines = series
    .filter((s) => s.points.length)
    .map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ')}"><title>${esc(s.name)}</title></polyline>`)
    .join('');
  const legend = series.map((s, i) => `<text x="${w - pad.r - (series.length - i) * 80}" y="12" fill="${s.color}" class="legend">${esc(s.name)}</text>`).join('');
  return `<svg class="chart" width="${w}" height="${h}" role="img" aria-label="${esc(title)}">
<text x="8" y="12" class="t">${esc(title)}</text>
<line x1="${pad.l}" y1="${h - pad.b}" x2="${w - pad.r}" y2="${h - pad.b}" class="axis"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${h - pad.b}" class="axis"/>
<text x="${pad.l - 4}" y="${pad.t + 8}" text-anchor="end" class="tick">${fmt(y1)}</text><text x="${pad.l - 4}" y="${h - pad.b}" text-anchor="end" class="tick">${fmt(y0)}</text>
${lines}${legend}</svg>`;
}

export function barChart(title: string, values: { label: string; value: number; highlight?: boolean }[], w = 320): string {
  const rowH = 18;
  const h = 20 + values.length * rowH;
  const labelW = 90;
  const bars = values
    .map((v, i) => {
      const y = 18 + i * rowH;
      const bw = Math.max(0, Math.min(1, v.value)) * (w - labelW - 50);
      return `<text x="${labelW - 4}" y="${y + 12}" text-anchor="end" class="tick">${esc(v.label)}</text><rect x="${labelW}" y="${y + 2}" width="${bw.toFixed(1)}" height="${rowH - 5}" class="${v.highlight ? 'bar rare' : 'bar'}" data-label="${esc(v.label)}"/><text x="${labelW + bw + 4}" y="${y + 12}" class="tick">${v.value.toFixed(2)}</text>`;
    })
    .join('');
  return `<svg class="chart" width="${w}" height="${h}" role="img" aria-label="${esc(title)}"><text x="8" y="12" class="t">${esc(title)}</text>${bars}</svg>`;
}

export function confusionMatrix(classes: string[], m: number[][], size = 240): string {
  const n = classes.length;
  if (n === 0) return '';
  const labelW = 80;
  const cell = Math.max(14, Math.floor((size - labelW) / n));
  const rowsMax = m.map((r) => Math.max(1, r.reduce((a, b) => a + b, 0)));
  const cells = m
    .flatMap((row, i) =>
      row.map((v, j) => {
        const frac = v / rowsMax[i]!;
        return `<rect x="${labelW + j * cell}" y="${20 + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="rgba(64,150,255,${(0.08 + 0.92 * frac).toFixed(3)})" data-cell="${i},${j}"><title>true ${esc(classes[i]!)} → predicted ${esc(classes[j]!)}: ${v}</title></rect>${cell >= 22 ? `<text x="${labelW + j * cell + cell / 2}" y="${20 + i * cell + cell / 2 + 4}" text-anchor="middle" class="cellv">${v}</text>` : ''}`;
      }),
    )
    .join('');
  const labels = classes.map((c, i) => `<text x="${labelW - 4}" y="${20 + i * cell + cell / 2 + 4}" text-anchor="end" class="tick">${esc(c)}</text>`).join('');
  const h = 24 + n * cell;
  return `<svg class="chart" width="${labelW + n * cell + 4}" height="${h}" role="img" aria-label="confusion matrix"><text x="8" y="12" class="t">confusion (rows: true, columns: predicted)</text>${labels}${cells}</svg>`;
}
