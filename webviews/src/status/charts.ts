/**
 * Small SVG charts for the status panel: line curves, horizontal bars, a confusion matrix.
 * Built as DOM nodes (labels are text nodes, numbers attributes), so class names and metric
 * values from files can never inject markup.
 */
import { svg } from '../common/dom';
import { fitScale } from './scale';

export interface Series {
  name: string;
  points: [number, number][];
  color: string;
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toFixed(3));
/** Values from a metrics file: anything but a finite number draws as 0. */
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function frame(title: string, w: number, h: number, heading = title): SVGSVGElement {
  return svg('svg', { class: 'chart', width: w, height: h, role: 'img', 'aria-label': title }, svg('text', { x: 8, y: 12, class: 't' }, heading));
}

export function lineChart(title: string, series: Series[], w = 320, h = 160): SVGSVGElement {
  const chart = frame(title, w, h);
  const pts = series.flatMap((s) => s.points).map(([x, y]) => [num(x), num(y)] as const);
  const pad = { l: 40, r: 8, t: 18, b: 20 };
  if (pts.length === 0) {
    chart.append(svg('text', { x: w / 2, y: h / 2, 'text-anchor': 'middle', class: 'muted' }, 'no data yet'));
    return chart;
  }
  const scale = fitScale(pts as [number, number][], w, h, pad);
  const { y0, y1 } = scale;
  const X = (x: number) => scale.X(num(x));
  const Y = (y: number) => scale.Y(num(y));
  chart.append(
    svg('line', { x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b, class: 'axis' }),
    svg('line', { x1: pad.l, y1: pad.t, x2: pad.l, y2: h - pad.b, class: 'axis' }),
    svg('text', { x: pad.l - 4, y: pad.t + 8, 'text-anchor': 'end', class: 'tick' }, fmt(y1)),
    svg('text', { x: pad.l - 4, y: h - pad.b, 'text-anchor': 'end', class: 'tick' }, fmt(y0)),
  );
  for (const s of series.filter((s) => s.points.length)) {
    const points = s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ');
    chart.append(svg('polyline', { fill: 'none', stroke: s.color, 'stroke-width': 1.5, points }, svg('title', {}, s.name)));
  }
  series.forEach((s, i) => chart.append(svg('text', { x: w - pad.r - (series.length - i) * 80, y: 12, fill: s.color, class: 'legend' }, s.name)));
  return chart;
}

export function barChart(title: string, values: { label: string; value: number; highlight?: boolean }[], w = 320): SVGSVGElement {
  const rowH = 18;
  const labelW = 90;
  const chart = frame(title, w, 20 + values.length * rowH);
  values.forEach((v, i) => {
    const y = 18 + i * rowH;
    const value = num(v.value);
    const bw = Math.max(0, Math.min(1, value)) * (w - labelW - 50);
    chart.append(
      svg('text', { x: labelW - 4, y: y + 12, 'text-anchor': 'end', class: 'tick' }, v.label),
      svg('rect', { x: labelW, y: y + 2, width: bw.toFixed(1), height: rowH - 5, class: v.highlight ? 'bar rare' : 'bar', 'data-label': v.label }),
      svg('text', { x: labelW + bw + 4, y: y + 12, class: 'tick' }, value.toFixed(2)),
    );
  });
  return chart;
}

export function confusionMatrix(classes: string[], m: number[][], size = 240): SVGSVGElement | null {
  const n = classes.length;
  if (n === 0) return null;
  const labelW = 80;
  const cell = Math.max(14, Math.floor((size - labelW) / n));
  const chart = frame('confusion matrix', labelW + n * cell + 4, 24 + n * cell, 'confusion (rows: true, columns: predicted)');
  classes.forEach((c, i) => chart.append(svg('text', { x: labelW - 4, y: 20 + i * cell + cell / 2 + 4, 'text-anchor': 'end', class: 'tick' }, String(c))));
  m.forEach((row, i) => {
    const values = row.map(num);
    const rowMax = Math.max(1, values.reduce((a, b) => a + b, 0));
    values.forEach((v, j) => {
      const x = labelW + j * cell;
      const y = 20 + i * cell;
      const title = svg('title', {}, `true ${String(classes[i])} → predicted ${String(classes[j])}: ${v}`);
      chart.append(svg('rect', { x, y, width: cell - 1, height: cell - 1, fill: `rgba(64,150,255,${(0.08 + 0.92 * (v / rowMax)).toFixed(3)})`, 'data-cell': `${i},${j}` }, title));
      if (cell >= 22) chart.append(svg('text', { x: x + cell / 2, y: y + cell / 2 + 4, 'text-anchor': 'middle', class: 'cellv' }, String(v)));
    });
  });
  return chart;
}
