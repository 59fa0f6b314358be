/**
 * `npm run bench -- viewer [--json]`: the volume viewer in headless Chromium (Debian's chromium,
 * canvas 2D renderer, no GPU). For a generated 256^3 and a 512x512x400 int16 CT (.nii.gz):
 * time from opening the webview to the first slice on screen, and the frame time while
 * scrolling (draw time of the three views of the 2x2 layout, and wheel-to-frame latency).
 * Never fails on time.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Bench } from './run';
import { decodeToRaw } from '../server/src/features/viewer';
import { launchBrowser, openWebview } from '../test/webviews/harness';
import { baseOf, cleanFixtures, openIn, sourceFor, writeNifti } from '../test/webviews/viewerFixtures';

/** A CT-like int16 volume: air, a body ellipse, a "bone" rim, and noise (seeded). */
function ctVolume(nx: number, ny: number, nz: number): Int16Array {
  const d = new Int16Array(nx * ny * nz);
  let seed = 12345;
  let o = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const x = (i - nx / 2) / (nx * 0.42);
        const y = (j - ny / 2) / (ny * 0.32);
        const r = x * x + y * y;
        // xorshift noise (+-32 HU) so the file compresses like a real CT, not like a test pattern
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        const noise = (seed & 63) - 32;
        d[o++] = (r > 1 ? -1000 : r > 0.85 ? 700 : 40) + noise;
      }
  return d;
}

const stat = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return +(s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))] ?? NaN).toFixed(2);
};

const SCROLL = `(async (n) => {
  const c = document.querySelector('canvas[data-view="axial"]');
  const stats = window.medstudioViewer.stats;
  const start = stats.frameMs.length;
  const latency = [];
  for (let i = 0; i < n; i++) {
    const f0 = Number(document.body.dataset.frames);
    const t0 = performance.now();
    c.dispatchEvent(new WheelEvent('wheel', { deltaY: 100, bubbles: true, cancelable: true }));
    await new Promise((resolve) => {
      const check = () => (Number(document.body.dataset.frames) > f0 ? resolve() : requestAnimationFrame(check));
      requestAnimationFrame(check);
    });
    latency.push(performance.now() - t0);
  }
  return { draw: stats.frameMs.slice(start), latency };
})`;

const bench: Bench = async (io) => {
  const sizes: [number, number, number][] = io.args.includes('--small') ? [[64, 64, 64]] : [[256, 256, 256], [512, 512, 400]];
  const browser = await launchBrowser();
  const out: Record<string, unknown> = { renderer: 'canvas2d', browser: 'headless Chromium (Debian), software raster', cpu: `${os.cpus()[0]?.model ?? '?'} x${os.cpus().length}` };
  try {
    for (const dims of sizes) {
      const key = dims.join('x');
      const tGen = Date.now();
      const file = writeNifti(`bench-${key}.nii.gz`, { dims, data: ctVolume(...dims), spacing: [0.7, 0.7, 1] });
      io.log(`${key}: generated ${(fs.statSync(file).size / 1048576).toFixed(1)} MB .nii.gz in ${Date.now() - tGen} ms`);
      const wv = await openWebview(browser, 'viewer', { width: 1200, height: 900 });
      try {
        const source = await sourceFor(file, baseOf(wv));
        // A loaded shared machine can take long; a benchmark never fails on time.
        await openIn(wv, source, 1 << 30, 300_000);
        const rendered = (await wv.posted()).find((m) => m.kind === 'event' && m.type === 'rendered');
        const firstSliceMs = +((rendered?.kind === 'event' ? (rendered.payload as { ms: number }).ms : NaN)).toFixed(0);
        // The first slice shows while the volume still streams in; scrolling starts once it is all in.
        await wv.page.waitForFunction(() => !!(window as unknown as { medstudioViewer?: unknown }).medstudioViewer, undefined, { timeout: 120_000 });
        const phases = (await wv.page.evaluate('window.medstudioViewer.phases')) as Record<string, number>;
        io.log(`${key}: phases (ms since webview start): ${Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
        const steps = 60;
        const r = (await wv.page.evaluate(`${SCROLL}(${steps})`)) as { draw: number[]; latency: number[] };
        const fig = {
          backend: 'canvas2d',
          voxels: `${key} int16 (${Math.round((dims[0] * dims[1] * dims[2] * 2) / 1048576)} MB)`,
          openToFirstSliceMs: firstSliceMs,
          openToFullyLoadedMs: +(phases.loaded ?? NaN).toFixed(0),
          scrollSteps: steps,
          frameDrawMsMedian: stat(r.draw, 0.5),
          frameDrawMsP95: stat(r.draw, 0.95),
          wheelToFrameMsMedian: stat(r.latency, 0.5),
          wheelToFrameMsP95: stat(r.latency, 0.95),
        };
        io.log(`${key}: open -> first slice ${fig.openToFirstSliceMs} ms (all loaded ${fig.openToFullyLoadedMs} ms); frame draw (3 views) median ${fig.frameDrawMsMedian} ms, p95 ${fig.frameDrawMsP95} ms; wheel -> frame median ${fig.wheelToFrameMsMedian} ms, p95 ${fig.wheelToFrameMsP95} ms (canvas2d)`);
        // The alternative path, measured: itk-wasm decoding in the server process (what DICOM/NRRD/MHA use).
        const raw = `${file}.raw`;
        const t0 = Date.now();
        await decodeToRaw(file, raw, 2 ** 31);
        const serverMs = Date.now() - t0;
        fs.rmSync(raw, { force: true });
        io.log(`${key}: the same file through itk-wasm in the server (decode + write raw): ${serverMs} ms, before any transfer to the webview`);
        out[key] = { ...fig, serverItkWasmDecodeMs: serverMs };
      } finally {
        await wv.close();
        fs.rmSync(file, { force: true });
      }
    }
  } finally {
    await browser.close();
    cleanFixtures();
  }
  return out;
};
export default bench;
