/** The side panels: header facts and overlay controls. Rebuilt on change (they are small). */
import { COLORMAPS, labelColor, rgbHex } from '../common/render/colormap';
import { obliqueDegrees, OBLIQUE_TOLERANCE_DEG, orientationCode } from '../common/render/orientation';
import { isPhotograph } from './viewPanel';
import type { Volume } from '../common/render/volume';
import { el, option } from './dom';
import type { Overlay } from './overlays';
import type { ViewerState } from './state';

export function headerPanel(v: Volume, range: { min: number; max: number }): HTMLElement {
  const h = v.header;
  const f = (x: number) => String(+x.toFixed(4));
  const tilt = obliqueDegrees(h.direction);
  // A photograph has no anatomical orientation; an oblique scan is drawn in its voxel axes.
  const orientation = isPhotograph(h)
    ? 'none (a photograph: no anatomical axes)'
    : tilt > OBLIQUE_TOLERANCE_DEG
      ? `${orientationCode(h.direction)}, oblique: tilted ${tilt.toFixed(1)}° from the anatomical axes, drawn in voxel axes (the letters name the nearest axis)`
      : orientationCode(h.direction);
  const rows: [string, string][] = [
    ['file', v.name],
    ['size', `${h.dims.join(' x ')}${h.frames > 1 ? ` x ${h.frames} frames` : ''}`],
    ['voxel type', `${h.voxelType}${h.components > 1 ? ` x${h.components}` : ''}`],
    ['spacing (mm)', h.spacing.map(f).join(' x ')],
    ['origin (LPS mm)', h.origin.map(f).join(', ')],
    ['orientation', orientation],
    ['direction', [0, 1, 2].map((r) => h.direction.slice(r * 3, r * 3 + 3).map(f).join(' ')).join(' | ')],
    ['value range', `${f(range.min)} .. ${f(range.max)}`],
    ...(h.modality ? ([['modality', h.modality]] as [string, string][]) : []),
    ...Object.entries(h.meta),
  ];
  return el('section', { id: 'header-panel' }, el('h3', { text: 'Header' }), el('table', {}, ...rows.map(([k, val]) => el('tr', {}, el('td', { text: k }), el('td', { text: val })))));
}

export interface OverlayPanelActions {
  change(mut: (s: ViewerState) => void): void;
  remove(id: string): void;
  pickLabels(): void;
  explain(): void;
}

export function overlayPanel(overlays: readonly Overlay[], s: ViewerState, a: OverlayPanelActions): HTMLElement {
  const range = (label: string, id: string, value: number, set: (x: number) => void) => {
    const input = el('input', { type: 'range', min: 0, max: 1, step: 0.05, value, id, 'aria-label': label });
    input.addEventListener('input', () => set(Number(input.value)));
    return el('label', { class: 'row' }, label, input);
  };
  const check = (label: string, id: string, value: boolean, set: (x: boolean) => void) => {
    const input = el('input', { type: 'checkbox', id, checked: value });
    input.addEventListener('change', () => set(input.checked));
    return el('label', { class: 'row' }, input, label);
  };
  const section = el('section', { id: 'overlay-panel' }, el('h3', { text: 'Overlays' }));
  const pick = el('button', { text: 'Load label map…', id: 'load-labels' });
  pick.addEventListener('click', () => a.pickLabels());
  const explain = el('button', { text: 'Explain…', class: 'primary', id: 'explain', title: 'MedStudio: Explain This Image (Grad-CAM of a trained run)' });
  explain.addEventListener('click', () => a.explain());
  section.append(el('div', { class: 'row' }, pick, explain));
  if (!overlays.length) section.append(el('p', { text: 'No overlays. Load a label map, or explain the image with a trained run.' }));
  const heats = overlays.filter((o) => o.kind === 'heatmap');
  if (heats.length) {
    section.append(el('h3', { text: 'Heatmap' }));
    for (const o of heats) {
      const rm = el('button', { text: 'Remove', title: `Remove ${o.name}` });
      rm.addEventListener('click', () => a.remove(o.id));
      section.append(el('div', { class: 'row', 'data-overlay': o.id }, el('span', { text: `${o.name}${o.final ? '' : ' (optimising…)'}` }), rm));
      if (o.caption) section.append(el('div', { class: 'row', text: o.caption }));
    }
    section.append(check('Show heatmap', 'heat-visible', s.heat.visible, (x) => a.change((st) => (st.heat.visible = x))));
    section.append(range('Opacity', 'heat-opacity', s.heat.opacity, (x) => a.change((st) => (st.heat.opacity = x))));
    section.append(range('Threshold', 'heat-threshold', s.heat.threshold, (x) => a.change((st) => (st.heat.threshold = x))));
    const cm = el('select', { id: 'heat-colormap', 'aria-label': 'Heatmap colormap' }, ...COLORMAPS.map((c) => option(c, c, c === s.heat.colormap)));
    cm.addEventListener('change', () => a.change((st) => (st.heat.colormap = cm.value as ViewerState['heat']['colormap'])));
    section.append(el('label', { class: 'row' }, 'Colormap', cm));
  }
  for (const o of overlays) {
    if (o.kind !== 'labels') continue;
    const rm = el('button', { text: 'Remove' });
    rm.addEventListener('click', () => a.remove(o.id));
    section.append(el('h3', { text: 'Labels' }), el('div', { class: 'row', 'data-overlay': o.id }, el('span', { text: o.name }), rm));
    section.append(check('Show labels', 'labels-visible', s.labels.visible, (x) => a.change((st) => (st.labels.visible = x))));
    section.append(range('Opacity', 'labels-opacity', s.labels.opacity, (x) => a.change((st) => (st.labels.opacity = x))));
    for (const v of o.values) {
      const color = el('input', { type: 'color', value: s.labels.colors[v] ?? rgbHex(labelColor(v)), 'aria-label': `Colour of label ${v}` });
      color.addEventListener('input', () => a.change((st) => (st.labels.colors[v] = color.value)));
      const shown = el('input', { type: 'checkbox', checked: !s.labels.hidden.includes(v), 'aria-label': `Show label ${v}`, 'data-label': v });
      shown.addEventListener('change', () => a.change((st) => (st.labels.hidden = shown.checked ? st.labels.hidden.filter((x) => x !== v) : [...st.labels.hidden, v])));
      section.append(el('label', { class: 'row' }, shown, color, `label ${v}`));
    }
  }
  return section;
}
