/**
 * Small SVG charts for the status panel: horizontal bars and a confusion matrix (the curves are
 * live uPlot charts, liveChart.ts).
 * Built as DOM nodes (labels are text nodes, numbers attributes), so class names and metric
 * values from files can never inject markup.
 */
import { svg } from '../common/dom';

/** Values from a metrics file: anything but a finite number draws as 0. */
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function frame(title: string, w: number, h: number, heading = title): SVGSVGElement {
  return svg('svg', { class: 'chart', width: w, height: h, role: 'img', 'aria-label': title }, svg('text', { x: 8, y: 12, class: 't' }, heading));
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

/** Rough width of a 10px label (the SVG is sized before layout, so text cannot be measured). */
const textWidth = (t: string, px = 6.2) => t.length * px;

/** Rows: true class; columns: predicted class, labelled above the cells (slanted when they are long). */
export function confusionMatrix(classes: string[], m: number[][], size = 240): SVGSVGElement | null {
  const n = classes.length;
  if (n === 0) return null;
  const names = classes.map(String);
  const labelW = Math.min(120, Math.max(40, ...names.map((c) => textWidth(c) + 8)));
  const cell = Math.max(14, Math.floor((size - labelW) / n));
  const slant = names.some((c) => textWidth(c) > cell - 4);
  const headH = slant ? Math.min(90, Math.max(...names.map((c) => textWidth(c))) * 0.72 + 10) : 14;
  const heading = 'confusion (rows: true, columns: predicted)';
  const top = 18 + 14 + headH;
  const width = Math.ceil(Math.max(labelW + n * cell + 4, textWidth(heading, 6.6) + 16));
  const chart = frame('confusion matrix', width, top + n * cell + 4, heading);
  chart.append(svg('text', { x: labelW + (n * cell) / 2, y: 26, 'text-anchor': 'middle', class: 'tick axis-name' }, 'predicted →'));
  names.forEach((c, j) => {
    const x = labelW + j * cell + cell / 2;
    const y = top - 4;
    chart.append(svg('text', { x, y, 'text-anchor': slant ? 'start' : 'middle', class: 'tick col', ...(slant ? { transform: `rotate(-40 ${x} ${y})` } : {}) }, c));
  });
  names.forEach((c, i) => chart.append(svg('text', { x: labelW - 4, y: top + i * cell + cell / 2 + 4, 'text-anchor': 'end', class: 'tick row' }, c)));
  m.forEach((row, i) => {
    const values = row.map(num);
    const rowMax = Math.max(1, values.reduce((a, b) => a + b, 0));
    values.forEach((v, j) => {
      const x = labelW + j * cell;
      const y = top + i * cell;
      const title = svg('title', {}, `true ${String(classes[i])} → predicted ${String(classes[j])}: ${v}`);
      chart.append(svg('rect', { x, y, width: cell - 1, height: cell - 1, fill: `rgba(64,150,255,${(0.08 + 0.92 * (v / rowMax)).toFixed(3)})`, 'data-cell': `${i},${j}` }, title));
      if (cell >= 22) chart.append(svg('text', { x: x + cell / 2, y: y + cell / 2 + 4, 'text-anchor': 'middle', class: 'cellv' }, String(v)));
    });
  });
  return chart;
}
