/** Window/level: CT presets, auto-window from percentiles, and drag -> new window. */
export interface WindowLevel {
  /** Centre (level) and width in real units (HU for CT). */
  center: number;
  width: number;
}

export const CT_PRESETS: Record<string, WindowLevel> = {
  brain: { center: 40, width: 80 },
  lung: { center: -600, width: 1500 },
  bone: { center: 400, width: 1800 },
  'soft tissue': { center: 40, width: 400 },
  abdomen: { center: 50, width: 350 },
};

/** Window spanning the 0.5th..99.5th percentile (MR, images, anything not in HU). */
export function autoWindow(p005: number, p995: number): WindowLevel {
  const width = Math.max(p995 - p005, 1e-6);
  return { center: (p005 + p995) / 2, width };
}

/** Left-drag window/level: right widens, down raises the level; speed scales with the range. */
export function dragWindow(start: WindowLevel, dx: number, dy: number, range: number): WindowLevel {
  const k = Math.max(range, 1) / 512;
  return { center: start.center + dy * k, width: Math.max(start.width + dx * k * 2, range * 1e-4, 1e-6) };
}

/** True when the value range looks like Hounsfield units (CT). */
export function looksLikeCt(modality: string | undefined, min: number, max: number): boolean {
  if (modality) return modality.toUpperCase() === 'CT';
  return min <= -900 && min >= -3100 && max > 200;
}

/** Maps real values to 0..255 (the colormap index). */
export function windowToByte(w: WindowLevel, value: number): number {
  const t = (value - (w.center - w.width / 2)) / w.width;
  return t <= 0 ? 0 : t >= 1 ? 255 : Math.round(t * 255);
}
