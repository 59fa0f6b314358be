/** Data -> pixel scales of a line chart: the points' extent (padded when flat) mapped into the plot area. */
export interface Pad {
  l: number;
  r: number;
  t: number;
  b: number;
}

export interface Scale {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  X: (x: number) => number;
  Y: (y: number) => number;
}

export function fitScale(pts: readonly [number, number][], w: number, h: number, pad: Pad): Scale {
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const x0 = Math.min(...xs);
  let [x1, y0, y1] = [Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  return {
    x0,
    x1,
    y0,
    y1,
    X: (x) => pad.l + ((x - x0) / (x1 - x0)) * (w - pad.l - pad.r),
    Y: (y) => h - pad.b - ((y - y0) / (y1 - y0)) * (h - pad.t - pad.b),
  };
}
