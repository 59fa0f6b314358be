/** One metric of several runs on shared axes (SVG built with DOM calls); each run keeps its colour across charts. */
import { svg } from './dom';
import { fitScale } from './scale';

export const RUN_COLOURS = ['#4fc1ff', '#f5a623', '#7ed321', '#d0021b', '#bd10e0', '#50e3c2', '#f8e71c', '#9b9b9b'];

export interface OverlaySeries {
  name: string;
  points: [number, number][];
  colour: string;
}

export function overlayChart(title: string, series: OverlaySeries[], w = 360, h = 180): SVGElement {
  const pad = { l: 44, r: 8, t: 18, b: 22 };
  const root = svg('svg', { class: 'chart overlay', width: w, height: h, role: 'img', 'aria-label': title });
  const heading = svg('text', { x: 8, y: 12, class: 't' });
  heading.textContent = title;
  root.append(heading);
  const pts = series.flatMap((s) => s.points);
  if (!pts.length) return root;
  const { x0, x1, y0, y1, X, Y } = fitScale(pts, w, h, pad);
  root.append(svg('line', { class: 'axis', x1: pad.l, x2: w - pad.r, y1: h - pad.b, y2: h - pad.b }), svg('line', { class: 'axis', x1: pad.l, x2: pad.l, y1: pad.t, y2: h - pad.b }));
  for (const v of [y0, (y0 + y1) / 2, y1]) {
    const t = svg('text', { x: pad.l - 4, y: Y(v) + 3, 'text-anchor': 'end' });
    t.textContent = v.toPrecision(3);
    root.append(t);
  }
  for (const v of [x0, x1]) {
    const t = svg('text', { x: X(v), y: h - 6, 'text-anchor': v === x0 ? 'start' : 'end' });
    t.textContent = `epoch ${v}`;
    root.append(t);
  }
  for (const s of series) {
    if (!s.points.length) continue;
    const line = svg('polyline', { fill: 'none', stroke: s.colour, 'stroke-width': 1.5, 'data-run': s.name, points: s.points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(' ') });
    const tip = svg('title');
    tip.textContent = s.name;
    line.append(tip);
    root.append(line);
  }
  return root;
}
