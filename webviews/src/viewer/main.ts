/**
 * Volume viewer webview: asks the host what to show, loads it (NIfTI parsed here; DICOM, NRRD
 * and MetaImage decoded by the server's itk-wasm; PNG/JPEG by the browser), then runs the
 * viewer. Overlays (label maps, explanation heatmaps, kernel images still optimising) arrive
 * as host events.
 */
import type { ViewerHostEvents, ViewerHostRequests, ViewerWebviewEvents, ViewerWebviewRequests } from '../../../server/src/protocol/viewer';
import { addStyle } from '../common/dom';
import { connect } from '../common/vscodeApi';
import { el } from './dom';
import { loadVolume } from './load';
import { BYTES_PER_VOXEL, type Volume } from '../common/render/volume';
import { heatFromMessage, labelValues, type Overlay } from './overlays';
import { restoreState, saveStateNow } from './state';
import { VIEWER_CSS } from './styles';
import { Viewer } from './viewer';

const channel = connect<ViewerHostRequests, ViewerWebviewRequests, ViewerHostEvents, ViewerWebviewEvents>(120_000);
const app = document.getElementById('app')!;
addStyle(VIEWER_CSS);

let viewer: Viewer | undefined;
const early: Overlay[] = [];

function showMessage(text: string): void {
  app.replaceChildren(el('div', { class: 'message', role: 'alert', id: 'message', text }));
}

function addOverlay(o: Overlay): void {
  if (viewer) viewer.setOverlay(o);
  else early.push(o);
}

channel.on('overlay', (m) => {
  if (m.kind === 'heatmap') {
    try {
      addOverlay(heatFromMessage(m));
    } catch (e) {
      channel.emit('failed', { message: String(e) });
    }
    return;
  }
  void loadLabels(m.id, m.source, m.name).catch((e: unknown) => {
    const message = `label map ${m.name}: ${e instanceof Error ? e.message : String(e)}`;
    showNotice(message);
    channel.emit('failed', { message });
  });
});
channel.on('removeOverlay', ({ id }) => viewer?.removeOverlay(id));
channel.on('notice', ({ message }) => {
  const s = document.getElementById('readout');
  if (s) s.textContent = message;
});
channel.handle('status', () => ({
  loaded: !!viewer,
  cursor: viewer ? [...viewer.cursor()] : [],
  frame: viewer?.frame() ?? 0,
  overlays: viewer?.overlayIds() ?? [],
}));

/** A label map must share the image's voxel grid (a different grid means a different scan). */
async function loadLabels(id: string, source: Parameters<typeof loadVolume>[0], name: string): Promise<void> {
  const volume = await loadVolume(source, Number.MAX_SAFE_INTEGER);
  const h = viewer?.volume().header;
  if (h && (volume.header.dims[0] !== h.dims[0] || volume.header.dims[1] !== h.dims[1] || volume.header.dims[2] !== h.dims[2]))
    throw new Error(`label map ${name} is ${volume.header.dims.join('x')}, the image is ${h.dims.join('x')}`);
  addOverlay({ id, kind: 'labels', name, volume, values: labelValues(volume) });
}

/** k-slices that must be in before the viewer starts drawing a streaming volume (enough for a first window). */
const FIRST_SLICES = 4;

/** Milestones since the webview started (ms), for the benchmark. */
const phases: Record<string, number> = { script: performance.now() };

async function main(): Promise<void> {
  app.replaceChildren(el('div', { class: 'loading', text: 'Loading…' }));
  const init = await channel.request('ready', null);
  phases.ready = performance.now();
  document.title = init.title;
  const state = restoreState();
  let v: Viewer | undefined;
  const start = (vol: Volume, loadedBytes?: number): Viewer => {
    const made = new Viewer(
      vol,
      state,
      {
        pickLabels: () =>
          void channel.request('pickLabels', null).then(
            async (r) => {
              if (!r) return;
              state.labels.path = r.path;
              saveStateNow(state);
              await loadLabels(`labels:${r.path}`, r.source, r.source.name);
            },
            (e: unknown) => showNotice(String(e)),
          ),
        explain: () =>
          void channel.request('explain', null, 600_000).then(
            (r) => r.ok || showNotice(r.message ?? 'explanation failed'),
            (e: unknown) => showNotice(e instanceof Error ? e.message : String(e)),
          ),
      },
      (ms) => channel.emit('rendered', { ms, dims: [...vol.header.dims, vol.header.frames], voxelType: vol.header.voxelType }),
      loadedBytes,
    );
    phases.viewer = performance.now();
    app.replaceChildren(made.root);
    made.drawFirst();
    phases.firstDrawn = performance.now();
    return made;
  };
  // Show the first slices of the contiguous (k) axis as soon as they are in; the axial view then
  // follows the data to the middle slice while the rest decodes (Viewer.dataArrived).
  const volume = await loadVolume(init.source, init.maxBytes, (partial, ready) => {
    if (v) return v.dataArrived(ready);
    const h = partial.header;
    const sliceBytes = h.dims[0] * h.dims[1] * h.components * BYTES_PER_VOXEL[h.voxelType];
    if (h.dims[2] >= 8 && ready >= FIRST_SLICES * sliceBytes) v = start(partial, ready);
  });
  phases.loaded = performance.now();
  if (v) v.complete(volume);
  else v = start(volume);
  viewer = v;
  (window as unknown as { medstudioViewer: unknown }).medstudioViewer = { stats: v.stats, state, phases };
  for (const o of early.splice(0)) v.setOverlay(o);
  // A label map shown before the reload comes back (the host re-checks the path).
  if (state.labels.path) {
    const p = state.labels.path;
    void channel
      .request('resolve', { path: p })
      .then((r) => loadLabels(`labels:${p}`, /\.nii(\.gz)?$/i.test(r.name) ? { kind: 'nifti', url: r.url, name: r.name } : { kind: 'bitmap', url: r.url, name: r.name }, r.name))
      .catch((e: unknown) => showNotice(`could not restore the label map: ${e instanceof Error ? e.message : String(e)}`));
  }
}

function showNotice(message: string): void {
  const s = document.getElementById('readout');
  if (s) s.textContent = message;
}

void main().catch((e: unknown) => {
  const message = e instanceof Error ? e.message : String(e);
  showMessage(message);
  channel.emit('failed', { message });
});
