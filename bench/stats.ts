/** What the benchmarks share: a positive-integer flag, mean ± sd over seeds, rounding for the JSON figures. */

/** `--name N` as a positive integer, or `dflt`. */
export function positiveIntArg(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} needs a positive integer`);
  return v;
}

export const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (n - 1); 0 for fewer than two values. */
export const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
export const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
/** Mean and sd rounded for the last JSON line, with the number of values. */
export const ms = (xs: number[]) => ({ mean: r4(mean(xs)), sd: r4(sd(xs)), n: xs.length });
/** "0.845 ± 0.072" for tables. */
export const pm = (xs: number[]) => `${mean(xs).toFixed(3)} ± ${sd(xs).toFixed(3)}`;
