/**
 * The viewer's GlmaeReconstructionRequest as the server answers it (handler registered by the
 * glmae feature on a stand-in connection): four volumes of the input grid as base64 Float32, and
 * specific errors for bad parameters.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Connection } from 'vscode-languageserver/node';
import { ensureBackend } from '../../../server/src/engine/backend';
import { encodeNifti } from '../../../server/src/data/writers/nifti';
import { runExperiment } from '../../../server/src/runs/runner';
import { glmaeFeature } from '../../../server/src/features/glmae';
import type { ServerContext } from '../../../server/src/features/types';
import { GlmaeReconstructionRequest, type GlmaeReconstructionParams, type GlmaeReconstructionResult } from '../../../server/src/protocol';
import { syntheticVolume } from './synthetic';

let dir = '';
let runDir = '';
type Handler = (p: GlmaeReconstructionParams, token: unknown) => Promise<GlmaeReconstructionResult>;
const handlers = new Map<string, Handler>();

before(async () => {
  const status = await ensureBackend({ threads: 1 });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glmae-req-'));
  fs.mkdirSync(path.join(dir, 'volumes'));
  const geometry = { spacing: [1, 1, 1] as [number, number, number], origin: [0, 0, 0] as [number, number, number], direction: [1, 0, 0, 0, 1, 0, 0, 0, 1] as [number, number, number, number, number, number, number, number, number] };
  for (let i = 1; i <= 4; i++) {
    const v = syntheticVolume(i, 16);
    fs.writeFileSync(path.join(dir, 'volumes', `v${i}.nii`), encodeNifti({ data: Int16Array.from(v.data, (x) => Math.round(x * 1000)), dims: [16, 16, 16], ...geometry }));
  }
  const file = path.join(dir, 'pre.medstudio.yaml');
  fs.writeFileSync(
    file,
    `method: glmae
data: { format: volumes, path: volumes, valFraction: 0.25, testFraction: 0.25 }
model: { backbone: vit3d, inputSize: 16, patchSize: 4, embedDim: 16, depth: 1, heads: 2, decoderWidth: 16, decoderDepth: 1, projectionDim: 8 }
glmae: { localViews: 0, volumeSize: 16, maskRatio: 0.75 }
train: { epochs: 1, batchSize: 2, seed: 1 }
`,
  );
  runDir = (await runExperiment(file, { outDir: path.join(dir, 'runs') })).info.runDir;
  const connection = { onRequest: (method: string, h: Handler) => handlers.set(method, h) } as unknown as Connection;
  const ctx = {
    connection,
    engine: async () => status,
    log: () => undefined,
    workspaceRoots: () => [dir],
    initOptions: () => ({ backend: 'auto', threads: 0, trusted: true }),
    trusted: () => true,
  } as unknown as ServerContext;
  glmaeFeature.register(ctx);
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

const ask = (p: GlmaeReconstructionParams) => handlers.get(GlmaeReconstructionRequest.method)!(p, undefined);
const floats = (b64: string) => new Float32Array(Uint8Array.from(Buffer.from(b64, 'base64')).buffer);

test('the server answers with original, masked input, reconstruction and mask of the input grid', async () => {
  const r = await ask({ runDir, volumePath: path.join(dir, 'volumes', 'v2.nii'), seed: 3 });
  assert.deepEqual(r.dims, [16, 16, 16]);
  assert.equal(r.maskRatio, 0.75);
  assert.equal(r.patchSize, 4);
  const [orig, masked, rec, mask] = [r.original, r.masked, r.reconstruction, r.mask].map(floats);
  for (const a of [orig, masked, rec, mask]) assert.equal(a!.length, 16 ** 3);
  assert.equal(mask!.reduce((s, v) => s + v, 0), 48 * 64); // 48 of 64 patches masked
  assert.ok(orig!.every((v) => v >= 0 && v <= 1), 'original is in the training intensity scale [0, 1]');
  const same = await ask({ runDir, volumePath: path.join(dir, 'volumes', 'v2.nii'), seed: 3 });
  assert.equal(same.mask, r.mask, 'the same seed gives the same mask');
});

test('bad reconstruction requests name the problem', async () => {
  await assert.rejects(ask({ runDir: dir, volumePath: path.join(dir, 'volumes', 'v1.nii') }), /is not a finished GL-MAE run/);
  await assert.rejects(ask({ runDir, volumePath: path.join(dir, 'nope.nii') }), /nope\.nii: not found/);
  await assert.rejects(ask({ runDir, volumePath: path.join(dir, 'volumes', 'v1.nii'), maskRatio: 1 }), /maskRatio must be in \[0, 1\)/);
});
