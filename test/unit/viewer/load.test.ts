import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { encodeNifti, encodeNiftiGz } from '../../../server/src/data/writers/nifti';
import { loadVolume } from '../../../webviews/src/viewer/load';

// The webview's loader runs on fetch + DecompressionStream, which Node has too.
const files = new Map<string, Uint8Array>();
let server: http.Server;
let base = '';
before(async () => {
  server = http.createServer((req, res) => {
    const body = files.get(req.url ?? '');
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200);
    // Small chunks, as a real stream delivers them.
    let o = 0;
    const next = () => {
      if (o >= body.length) return void res.end();
      res.write(body.subarray(o, (o += 8192)), next);
    };
    next();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const volume = (dims: [number, number, number]) => {
  const data = new Int16Array(dims[0] * dims[1] * dims[2]).map((_, i) => (i * 7) % 2000);
  return { data, dims: [...dims], spacing: [1, 1, 1] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
};

test('a streamed .nii.gz arrives whole, and the partial callback sees it fill up slice by slice', async () => {
  const img = volume([40, 30, 20]);
  files.set('/a.nii.gz', encodeNiftiGz(img, 1));
  const seen: number[] = [];
  let partialData: unknown;
  const v = await loadVolume({ kind: 'nifti', url: `${base}/a.nii.gz`, name: 'a.nii.gz' }, 1 << 30, (p, ready) => {
    seen.push(ready);
    partialData = p.data;
  });
  assert.deepEqual(v.header.dims, [40, 30, 20]);
  assert.deepEqual(Array.from(v.data.subarray(0, 5)), Array.from(img.data.subarray(0, 5)));
  assert.deepEqual(Array.from(v.data.subarray(-5)), Array.from(img.data.subarray(-5)));
  assert.ok(seen.length > 1, `several partial updates (${seen.length})`);
  assert.ok(seen.every((x, i) => i === 0 || x >= seen[i - 1]!), 'ready bytes only grow');
  assert.equal(seen.at(-1), 40 * 30 * 20 * 2);
  // The early view shares the final buffer: what was drawn early is what is there at the end.
  assert.equal((partialData as Int16Array).buffer, v.data.buffer);
});

test('an uncompressed .nii loads the same voxels', async () => {
  const img = volume([9, 7, 5]);
  files.set('/b.nii', encodeNifti(img));
  const v = await loadVolume({ kind: 'nifti', url: `${base}/b.nii`, name: 'b.nii' }, 1 << 30);
  assert.deepEqual(Array.from(v.data), Array.from(img.data));
});

test('a volume over the limit is refused from its header, with the file named', async () => {
  files.set('/c.nii.gz', encodeNiftiGz(volume([64, 64, 64]), 1));
  await assert.rejects(
    loadVolume({ kind: 'nifti', url: `${base}/c.nii.gz`, name: 'c.nii.gz' }, 100_000),
    /c\.nii\.gz holds 0\.5 MB of voxels, more than the viewer's limit of 0\.1 MB/,
  );
});

test('a truncated file says so', async () => {
  const bytes = encodeNifti(volume([10, 10, 10]));
  files.set('/d.nii', bytes.subarray(0, 1000));
  await assert.rejects(loadVolume({ kind: 'nifti', url: `${base}/d.nii`, name: 'd.nii' }, 1 << 30), /d\.nii: file is truncated/);
});
