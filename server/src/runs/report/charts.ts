/** Inline SVG charts for run reports: line charts of metric curves and a confusion-matrix heat map. */
import { esc } from './html';

export interface Series {
  name: string;
  points: [number, number][];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export function lineChart(title: string, series: Series[], opts: { width?: number; height?: number; yLabel?: string; yMin?: number; yMax?: number } = {}): string {
  const W = opts.width ?? 480;
  const H = opts.height ?? 260;
  const m = { l: 48, r: 12, t: 24, b: 36 };
  const all = series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  if (!all.length) return `<p class="muted">${esc(title)}: no data</p>`;
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const y0 = opts.yMin ?? Math.min(...ys);
  let y1 = opts.yMax ?? Math.max(...ys);
  if (y1 <= y0) y1 = y0 + 1;
  const sx = (x: number) => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number) => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const ticks = 4;
  const grid = Array.from({ length: ticks + 1 }, (_, i) => {
    const v = y0 + ((y1 - y0) * i) / ticks;
    return `<line x1="${m.l}" x2="${W - m.r}" y1="${sy(v)}" y2="${sy(v)}" stroke="#eee"/><text x="${m.l - 4}" y="${sy(v) + 4}" text-anchor="end">${v.toPrecision(3)}</text>`;
  }).join('');
  const xt = [...new Set(xs)].sort((a, b) => a - b);
  const step = Math.max(1, Math.ceil(xt.length / 10));
  const xTicks = xt
    .filter((_, i) => i % step === 0)
    .map((x) => `<text x="${sx(x)}" y="${H - m.b + 14}" text-anchor="middle">${x}</text>`)
    .join('');
  const lines = series
    .map((s, i) => {
      const c = COLOURS[i % COLOURS.length]!;
      const pts = s.points.filter(([, y]) => Number.isFinite(y));
      const d = pts.map(([x, y], k) => `${k ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join('');
      const dots = pts.map(([x, y]) => `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.5" fill="${c}"/>`).join('');
      return `<path d="${d}" fill="none" stroke="${c}" stroke-width="1.8"/>${dots}<text x="${W - m.r - 4}" y="${m.t + 12 + i * 13}" text-anchor="end" fill="${c}">${esc(s.name)}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}"><text x="${m.l}" y="14" font-weight="bold">${esc(title)}</text>${grid}<line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" stroke="#888"/>${xTicks}<text x="${(W + m.l) / 2}" y="${H - 6}" text-anchor="middle">epoch</text>${opts.yLabel ? `<text x="12" y="${(H - m.b + m.t) / 2}" transform="rotate(-90 12 ${(H - m.b + m.t) / 2})" text-anchor="middle">${esc(opts.yLabel)}</text>` : ''}${lines}</svg>`;
}

/** Confusion matrix [true][predicted] as an SVG heat map (rows normalised for colour, counts printed). */
export function confusionChart(classes: readonly string[], cm: readonly (readonly number[])[]): string {
  const cell = 44;
  const left = 100;
  const top = 90;
  const n = classes.length;
  const W = left + n * cell + 10;
  const H = top + n * cell + 30;
  let body = '';
  cm.forEach((row, t) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((v, p) => {
      const f = v / total;
      const shade = Math.round(255 - f * 200);
      const fill = t === p ? `rgb(${shade},${Math.round(255 - f * 120)},${shade})` : `rgb(255,${shade},${shade})`;
      body += `<rect x="${left + p * cell}" y="${top + t * cell}" width="${cell}" height="${cell}" fill="${fill}" stroke="#fff"/><text x="${left + p * cell + cell / 2}" y="${top + t * cell + cell / 2 + 4}" text-anchor="middle">${v}</text>`;
    });
    body += `<text x="${left - 6}" y="${top + t * cell + cell / 2 + 4}" text-anchor="end">${esc(classes[t]!)}</text>`;
  });
  classes.forEach((c, p) => {
    const x = left + p * cell + cell / 2;
    body += `<text x="${x}" y="${top - 6}" transform="rotate(-45 ${x} ${top - 6})">${esc(c)}</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="confusion matrix"><text x="${left}" y="${H - 8}">predicted →</text><text x="4" y="14">true ↓</text>${body}</svg>`;
}
