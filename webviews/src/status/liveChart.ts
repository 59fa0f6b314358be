/**
 * Live line charts for the training panel, drawn by uPlot: built for streaming data (setData
 * redraws a canvas in well under a millisecond for a few hundred points), with a real legend
 * (colour key per series, values under the mouse), axes with ticks, and one y axis per scale.
 * A chart is kept across updates, so hovering survives the stream of progress events.
 */
import uPlot from 'uplot';
import uplotCss from 'uplot/dist/uPlot.min.css';
import { addStyle, el } from '../common/dom';

export interface LiveSeries {
  name: string;
  points: [number, number][];
  color: string;
  /** The y scale (and axis) it is drawn on; `y` by default. */
  scale?: string;
}

export interface LiveAxis {
  scale: string;
  label: string;
  side: 'left' | 'right';
}

export interface LiveChart {
  /** The chart's element: its title, the plot and the legend below it. */
  readonly node: HTMLElement;
  update(series: LiveSeries[], epochs?: readonly number[]): void;
  destroy(): void;
}

let styled = false;
const themeColour = (name: string, fallback: string) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;
/** Numbers from files: anything but a finite number is a gap. */
const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const fmt = (v: number | null | undefined) => (v == null ? '–' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(3) : v.toExponential(2));

/** Epochs of all series (and `epochs`, the run's), each series' values on them (null where it has none). */
function align(series: LiveSeries[], epochs: readonly number[] = []): uPlot.AlignedData {
  const xs = [...new Set([...epochs, ...series.flatMap((s) => s.points.map((p) => p[0]))].map(finite).filter((x): x is number => x !== null))].sort((a, b) => a - b);
  const ys = series.map((s) => {
    const byX = new Map(s.points.map((p) => [finite(p[0]), finite(p[1])]));
    return xs.map((x) => byX.get(x) ?? null);
  });
  return [xs, ...ys];
}

const signature = (series: LiveSeries[]) => series.map((s) => `${s.name}@${s.scale ?? 'y'}`).join('|');

/** A chart named `key` (tests and styles find it by `data-chart`), `title` shown above the plot. */
export function liveChart(key: string, title: string, series: LiveSeries[], o: { axes?: LiveAxis[]; width?: number; height?: number; epochs?: readonly number[] } = {}): LiveChart {
  if (!styled) {
    addStyle(uplotCss);
    styled = true;
  }
  const fg = themeColour('--vscode-foreground', '#ccc');
  const grid = themeColour('--vscode-panel-border', '#444');
  const axes: LiveAxis[] = o.axes ?? [{ scale: 'y', label: '', side: 'left' }];
  const holder = el('div', { class: 'u-holder' });
  const node = el('figure', { class: 'live-chart', 'data-chart': key, role: 'img', 'aria-label': title }, el('figcaption', { class: 'chart-title' }, title), holder);
  const opts: uPlot.Options = {
    width: o.width ?? 340,
    height: o.height ?? 170,
    legend: { live: true },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: false }, ...Object.fromEntries(axes.map((a) => [a.scale, { auto: true }])) },
    axes: [
      { label: 'epoch', stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, incrs: [1, 2, 5, 10, 20, 50, 100], size: 36, labelSize: 14, font: '10px sans-serif', labelFont: '10px sans-serif' },
      ...axes.map((a, i) => ({
        scale: a.scale,
        label: a.label,
        side: a.side === 'left' ? 3 : 1,
        stroke: fg,
        grid: { show: i === 0, stroke: grid, width: 1 },
        ticks: { stroke: grid },
        size: 48,
        labelSize: a.label ? 14 : 0,
        font: '10px sans-serif',
        labelFont: '10px sans-serif',
        values: (_u: uPlot, vs: number[]) => vs.map((v) => fmt(v)),
      })),
    ],
    series: [
      { label: 'epoch', value: (_u, v) => (v == null ? '–' : String(v)) },
      ...series.map((s) => ({ label: s.name, scale: s.scale ?? 'y', stroke: s.color, width: 1.5, spanGaps: true, points: { show: true, size: 5, fill: s.color }, value: (_u: uPlot, v: number | null) => fmt(v) })),
    ],
  };
  const plot = new uPlot(opts, align(series, o.epochs), holder);
  const sig = signature(series);
  const mark = (s: LiveSeries[]) => node.setAttribute('data-points', s.map((x) => x.points.filter((p) => finite(p[1]) !== null).length).join(','));
  mark(series);
  return {
    node,
    update(next, epochs = o.epochs) {
      if (signature(next) !== sig) throw new Error(`chart ${key}: its series changed; build a new chart`);
      plot.setData(align(next, epochs));
      mark(next);
    },
    destroy: () => plot.destroy(),
  };
}

/** Charts kept across renders by key, rebuilt only when their series change. */
export class ChartCache {
  private readonly charts = new Map<string, { chart: LiveChart; sig: string }>();

  /** Chart `key` of `owner` (a job), updated in place when it exists with the same series. */
  get(owner: string, key: string, title: string, series: LiveSeries[], o?: Parameters<typeof liveChart>[3]): HTMLElement {
    const sig = `${title}#${signature(series)}#${JSON.stringify(o?.axes ?? [])}`;
    const id = `${owner}:${key}`;
    const have = this.charts.get(id);
    if (have && have.sig === sig) {
      have.chart.update(series, o?.epochs);
      return have.chart.node;
    }
    have?.chart.destroy();
    const chart = liveChart(key, title, series, o);
    this.charts.set(id, { chart, sig });
    return chart.node;
  }

  /** Drops every chart whose `owner:key` is not in `keep`. */
  keepOnly(keep: ReadonlySet<string>): void {
    for (const [k, c] of this.charts) {
      if (keep.has(k)) continue;
      c.chart.destroy();
      this.charts.delete(k);
    }
  }
}
