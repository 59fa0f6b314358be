/**
 * The server's boundary, tried as a hostile or careless client would: every request with missing,
 * wrong-typed, huge and hostile values (paths outside the workspace, symlinks out, `..`, absolute
 * system files). The server stays up, answers each with an error naming the field, never quotes
 * a file it refused, and writes nothing outside the test workspace: a decoy folder beside it is
 * listed (names, sizes, times, contents) before and after.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PNG } from 'pngjs';
import { CompletionRequest, DidOpenTextDocumentNotification, PublishDiagnosticsNotification, type Diagnostic } from 'vscode-languageserver-protocol/node';
import {
  CancelJobRequest,
  ComputeStatusRequest,
  ExplainLayersRequest,
  GenerateBoxesRequest,
  GlmaeReconstructionRequest,
  GradCamRequest,
  KernelInterpretRequest,
  ListJobsRequest,
  PauseJobRequest,
  ResumeJobRequest,
  RunHistoryRequest,
  StartJobRequest,
  RankByUncertaintyRequest,
  SuggestBoxesRequest,
  TopKernelsRequest,
  ViewerDecodeRequest,
} from '../../server/src/protocol';
import { startServer, type TestServer } from './lspClient';

const SECRET = 'SECRET-DECOY-7f3a';
const INVALID_PARAMS = -32602;
let base: string;
let ws: string;
let decoy: string;
let cache: string;
let server: TestServer;
let decoyBefore: Map<string, string>;

/** Every entry under `dir` (not following links): name -> type, size, mtime and content hash. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      const st = fs.lstatSync(p);
      const hash = e.isFile() ? createHash('sha1').update(fs.readFileSync(p)).digest('hex') : e.isSymbolicLink() ? fs.readlinkSync(p) : 'dir';
      out.set(path.relative(dir, p), `${st.size}:${st.mtimeMs}:${hash}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

function png(file: string): void {
  const img = new PNG({ width: 4, height: 4 });
  img.data.fill(128);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, PNG.sync.write(img));
}

interface RpcError {
  code?: number;
  message?: string;
}

/** The request fails with InvalidParams naming `field`, and quotes nothing secret. */
async function refused(p: Promise<unknown>, field: string, what: string): Promise<RpcError> {
  let err: RpcError | undefined;
  try {
    await p;
  } catch (e) {
    err = e as RpcError;
  }
  assert.ok(err, `${what}: expected an error, the request succeeded`);
  assert.equal(err.code, INVALID_PARAMS, `${what}: ${err.message}`);
  assert.ok(err.message?.includes(field), `${what}: the error names '${field}': ${err.message}`);
  assert.ok(!err.message?.includes(SECRET) && !/root:[^ ]*:/.test(err.message ?? ''), `${what}: the error quotes a file: ${err.message}`);
  return err;
}

const send = <R,>(def: { method: string; __types?: (p: never) => R }, params: unknown, s: TestServer = server) => s.conn.sendRequest(def.method, params) as Promise<R>;

before(async () => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'medstudio-fuzz-')));
  ws = path.join(base, 'ws');
  decoy = path.join(base, 'decoy');
  cache = path.join(base, 'cache');
  // The decoy: what a client must never read from or write to.
  fs.mkdirSync(path.join(decoy, 'classes', `melanoma-${SECRET}`), { recursive: true });
  fs.mkdirSync(path.join(decoy, 'classes', `nevus-${SECRET}`), { recursive: true });
  fs.writeFileSync(path.join(decoy, 'secret.txt'), `root:$6$${SECRET}:19000:0:99999:7:::\n`);
  fs.writeFileSync(path.join(decoy, 'secret.medstudio.yaml'), `root:$6$${SECRET}:19000:0:99999:7:::\n`);
  fs.writeFileSync(path.join(decoy, 'victim.raw'), 'must not be overwritten');
  png(path.join(decoy, 'img.png'));
  // The workspace, with links that lead out of it.
  png(path.join(ws, 'img.png'));
  png(path.join(ws, 'data', 'a.png'));
  png(path.join(ws, 'data', 'b.png'));
  fs.writeFileSync(path.join(ws, 'data', 'labels.csv'), 'path,label\na.png,nevus\nb.png,melanoma\n');
  fs.writeFileSync(path.join(ws, 'exp.medstudio.yaml'), 'method: supervised\ndata: { format: csv, path: data/labels.csv }\nmodel: { backbone: resnet, width: 8, depth: 1, inputSize: 28 }\ntrain: { epochs: 1, batchSize: 2 }\n');
  fs.writeFileSync(path.join(ws, 'notes.txt'), `root:$6$${SECRET}:in-the-workspace:::\n`);
  fs.symlinkSync(decoy, path.join(ws, 'out-link'));
  fs.symlinkSync(path.join(decoy, 'secret.medstudio.yaml'), path.join(ws, 'secret-link.medstudio.yaml'));
  fs.symlinkSync(path.join(decoy, 'new.raw'), path.join(ws, 'dangling.raw'));
  decoyBefore = snapshot(decoy);
  // The server's current folder is the decoy: a relative path resolved against it would land there.
  server = await startServer({ workspace: ws, cwd: decoy, init: { cacheDir: cache } });
});

after(async () => {
  await server?.stop();
  fs.rmSync(base, { recursive: true, force: true });
});

test('viewer/decode writes only into the workspace or the decode cache, and relative paths are the workspace\'s', async () => {
  for (const outFile of [path.join(decoy, 'victim.raw'), '../decoy/victim.raw', 'out-link/victim.raw', 'dangling.raw', '/tmp/../' + path.relative('/', decoy) + '/x.raw']) {
    await refused(send(ViewerDecodeRequest, { path: 'img.png', outFile, maxBytes: 1 << 20 }), 'outFile', `outFile ${outFile}`);
  }
  for (const p of [path.join(decoy, 'img.png'), '../decoy/img.png', 'out-link/img.png']) {
    await refused(send(ViewerDecodeRequest, { path: p, outFile: path.join(cache, 'x.raw'), maxBytes: 1 << 20 }), 'path', `path ${p}`);
  }
  // Relative to the workspace, not to the server's current folder (the decoy).
  const r = await send(ViewerDecodeRequest, { path: 'img.png', outFile: 'decoded/img.raw', maxBytes: 1 << 20 });
  assert.deepEqual(r.header.dims, [4, 4, 1]);
  assert.ok(fs.statSync(path.join(ws, 'decoded', 'img.raw')).size >= 16, 'decoded into the workspace');
  await send(ViewerDecodeRequest, { path: path.join(ws, 'img.png'), outFile: path.join(cache, 'img.raw'), maxBytes: 1 << 20 });
  assert.ok(fs.existsSync(path.join(cache, 'img.raw')), 'the decode cache is allowed');
  assert.deepEqual(snapshot(decoy), decoyBefore);
});

test('boxes/generate `out` and jobs/start `outDir` outside the workspace are refused before anything runs', async () => {
  for (const out of [path.join(decoy, 'boxes.coco.json'), '../decoy/boxes.coco.json', 'out-link/boxes.coco.json']) {
    await refused(send(GenerateBoxesRequest, { experimentPath: 'exp.medstudio.yaml', source: 'saliency', out }), 'out', `out ${out}`);
  }
  for (const outDir of [path.join(decoy, 'runs'), '../decoy/runs', 'out-link/runs', '/']) {
    await refused(send(StartJobRequest, { experimentPath: 'exp.medstudio.yaml', outDir }), 'outDir', `outDir ${outDir}`);
  }
  const { jobs } = await send(ListJobsRequest, undefined);
  assert.equal(jobs.length, 0, 'no job was queued');
  assert.deepEqual(snapshot(decoy), decoyBefore);
});

test('a system file or a non-experiment file as experimentPath is refused without quoting it, and jobs.json keeps nothing of it', async () => {
  const system = fs.existsSync('/etc/shadow') ? '/etc/shadow' : '/etc/passwd';
  for (const experimentPath of [system, path.join(decoy, 'secret.medstudio.yaml'), 'secret-link.medstudio.yaml', 'notes.txt', '../decoy/secret.txt']) {
    await refused(send(StartJobRequest, { experimentPath }), 'experimentPath', `jobs/start ${experimentPath}`);
    await refused(send(GenerateBoxesRequest, { experimentPath, source: 'saliency' }), 'experimentPath', `boxes/generate ${experimentPath}`);
  }
  const jobsFile = path.join(ws, '.medstudio', 'jobs.json');
  const kept = fs.existsSync(jobsFile) ? fs.readFileSync(jobsFile, 'utf8') : '';
  assert.ok(!kept.includes(SECRET) && !kept.includes('root:'), `jobs.json quotes a file: ${kept.slice(0, 200)}`);
});

test('experiment diagnostics and completion list nothing outside the workspace', async () => {
  const diags: Diagnostic[][] = [];
  server.conn.onNotification(PublishDiagnosticsNotification.type, (p) => void (p.uri.endsWith('outside.medstudio.yaml') && diags.push(p.diagnostics)));
  const uri = pathToFileURL(path.join(ws, 'outside.medstudio.yaml')).href;
  const text = `method: supervised\ndata:\n  format: folder\n  path: ${path.join(decoy, 'classes')}\n  classes: [psoriasis]\nmodel: { backbone: resnet }\n`;
  await server.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'yaml', version: 1, text } });
  for (let i = 0; i < 200 && diags.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(diags.length > 0, 'diagnostics were published');
  const messages = diags.flat().map((d) => d.message);
  assert.ok(messages.every((m) => !m.includes(SECRET)), `a diagnostic lists the decoy's folders: ${messages.join(' | ')}`);
  assert.ok(messages.some((m) => /outside the workspace/.test(m)), `the outside data path is flagged: ${messages.join(' | ')}`);
  // Completing `path: ../decoy/` offers nothing from there.
  const line = 'data:\n  path: ../decoy/';
  const doc2 = pathToFileURL(path.join(ws, 'complete.medstudio.yaml')).href;
  await server.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: doc2, languageId: 'yaml', version: 1, text: line } });
  const items = (await server.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: doc2 }, position: { line: 1, character: '  path: ../decoy/'.length } })) as { label: string }[] | null;
  assert.deepEqual((items ?? []).filter((i) => /decoy|secret|classes/.test(i.label)), []);
});

test('a 20 MB experimentPath is refused where it enters, and the server stays up', async () => {
  const huge = 'a'.repeat(20 * 1024 * 1024) + '.medstudio.yaml';
  const e = await refused(send(StartJobRequest, { experimentPath: huge }), 'experimentPath', '20 MB experimentPath');
  assert.match(e.message ?? '', /too long/);
  assert.ok(e.message!.length < 1000, 'the error does not echo the value');
  assert.ok((await send(ListJobsRequest, undefined)).jobs, 'the server answers afterwards');
});

test('a 40 MB message is dropped as it arrives and answered with an error; the server stays up', async () => {
  await assert.rejects(send(StartJobRequest, { experimentPath: 'b'.repeat(40 * 1024 * 1024) }), (err: RpcError) => {
    assert.equal(err.code, -32600, err.message);
    assert.match(err.message ?? '', /over the server's limit of \d+ bytes/);
    return true;
  });
  assert.ok((await send(ListJobsRequest, undefined)).jobs, 'the server answers afterwards');
  assert.ok(server.stderr().includes('dropped a'), 'the server logged what it dropped');
});

test("action 'rm -rf', maxBytes 'lots', cancel null and resume {runDir: 42} are refused naming the field; jobs.json is untouched", async () => {
  const jobsFile = path.join(ws, '.medstudio', 'jobs.json');
  const before = fs.existsSync(jobsFile) ? fs.readFileSync(jobsFile, 'utf8') : undefined;
  await refused(send(StartJobRequest, { experimentPath: 'exp.medstudio.yaml', action: 'rm -rf' }), 'action', "action 'rm -rf'");
  await refused(send(ViewerDecodeRequest, { path: 'img.png', outFile: path.join(cache, 'a.raw'), maxBytes: 'lots' }), 'maxBytes', "maxBytes 'lots'");
  await refused(send(CancelJobRequest, null), 'params', 'cancel null');
  await refused(send(CancelJobRequest, { jobId: null }), 'jobId', 'cancel {jobId: null}');
  await refused(send(ResumeJobRequest, { runDir: 42 }), 'runDir', 'resume {runDir: 42}');
  assert.equal(fs.existsSync(jobsFile) ? fs.readFileSync(jobsFile, 'utf8') : undefined, before, 'jobs.json is unchanged');
  // A later resume gets an ordinary answer, not a crash on a poisoned entry.
  await assert.rejects(send(ResumeJobRequest, { runDir: 'no-such-run' }), (e: RpcError) => !/must be of type string|Received type number/.test(e.message ?? ''));
});

test('a stale jobs.json with a poisoned entry is read without breaking list or resume after a restart', async () => {
  const other = path.join(base, 'ws-stale');
  fs.mkdirSync(path.join(other, '.medstudio'), { recursive: true });
  const good = { id: 'job-1', runId: 'r1', runDir: path.join(other, '.medstudio', 'runs', 'r1'), experimentPath: path.join(other, 'x.medstudio.yaml'), method: 'supervised', action: 'train', state: 'cancelled', createdAt: '2026-01-01T00:00:00Z', epoch: 1, epochs: 3 };
  fs.writeFileSync(path.join(other, '.medstudio', 'jobs.json'), JSON.stringify([{ ...good, id: 'job-0', runDir: 42 }, good]));
  const s = await startServer({ workspace: other, init: { cacheDir: cache } });
  try {
    const { jobs } = await send(ListJobsRequest, undefined, s);
    assert.deepEqual(jobs.map((j) => j.id), ['job-1'], 'the poisoned entry is dropped');
    await assert.rejects(send(ResumeJobRequest, { runDir: 'elsewhere' }, s), (e: RpcError) => !/Received type number|must be of type string/.test(e.message ?? ''));
  } finally {
    await s.stop();
  }
});

test('untrusted: jobs/list neither creates nor rewrites jobs.json, and no request writes into the workspace', async () => {
  const other = path.join(base, 'ws-untrusted');
  png(path.join(other, 'img.png'));
  fs.writeFileSync(path.join(other, 'exp.medstudio.yaml'), fs.readFileSync(path.join(ws, 'exp.medstudio.yaml')));
  const s = await startServer({ workspace: other, init: { trusted: false, cacheDir: cache } });
  try {
    const wsBefore = snapshot(other);
    assert.ok((await send(ListJobsRequest, undefined, s)).jobs);
    assert.equal(fs.existsSync(path.join(other, '.medstudio')), false, 'no .medstudio folder was created');
    await refused(send(ViewerDecodeRequest, { path: 'img.png', outFile: 'img.raw', maxBytes: 1 << 20 }, s), 'outFile', 'untrusted decode into the workspace');
    await refused(send(ViewerDecodeRequest, { path: 'img.png', outFile: path.join(decoy, 'img.raw'), maxBytes: 1 << 20 }, s), 'outFile', 'untrusted decode outside');
    await assert.rejects(send(GenerateBoxesRequest, { experimentPath: 'exp.medstudio.yaml', source: 'saliency' }, s), /trust/);
    await assert.rejects(send(StartJobRequest, { experimentPath: 'exp.medstudio.yaml' }, s), /trust/);
    // Viewing still works: decoded volumes go to the extension's cache.
    await send(ViewerDecodeRequest, { path: 'img.png', outFile: path.join(cache, 'untrusted.raw'), maxBytes: 1 << 20 }, s);
    assert.deepEqual(snapshot(other), wsBefore, 'the untrusted workspace is unchanged');

    // An existing list is read, not rewritten (an interrupted job stays as the file says).
    const jobsFile = path.join(other, '.medstudio', 'jobs.json');
    fs.mkdirSync(path.dirname(jobsFile));
    const text = JSON.stringify([{ id: 'job-9', runId: 'r9', runDir: path.join(other, 'r9'), experimentPath: path.join(other, 'exp.medstudio.yaml'), method: 'supervised', action: 'train', state: 'running', createdAt: '2026-01-01T00:00:00Z', epoch: 0, epochs: 1 }]);
    fs.writeFileSync(jobsFile, text);
    await s.stop();
    const again = await startServer({ workspace: other, init: { trusted: false, cacheDir: cache } });
    try {
      const st = fs.statSync(jobsFile).mtimeMs;
      const { jobs } = await send(ListJobsRequest, undefined, again);
      assert.equal(jobs[0]?.state, 'interrupted', 'listed as interrupted');
      assert.equal(fs.readFileSync(jobsFile, 'utf8'), text);
      assert.equal(fs.statSync(jobsFile).mtimeMs, st);
    } finally {
      await again.stop();
    }
  } finally {
    if (s.proc.exitCode === null) await s.stop();
  }
});

/** Params that are well-formed but harmless (nothing exists), each mutated below. */
const CASES: { def: { method: string }; base: Record<string, unknown>; paths: string[]; required: string[] }[] = [
  { def: StartJobRequest, base: { experimentPath: 'missing.medstudio.yaml', action: 'train', outDir: 'runs' }, paths: ['experimentPath', 'outDir'], required: ['experimentPath'] },
  { def: ResumeJobRequest, base: { runDir: 'no-run' }, paths: ['runDir'], required: ['runDir'] },
  { def: CancelJobRequest, base: { jobId: 'no-job' }, paths: [], required: ['jobId'] },
  { def: PauseJobRequest, base: { jobId: 'no-job' }, paths: [], required: ['jobId'] },
  { def: RunHistoryRequest, base: { runDir: 'no-run' }, paths: ['runDir'], required: ['runDir'] },
  { def: GenerateBoxesRequest, base: { experimentPath: 'missing.medstudio.yaml', source: 'saliency', out: 'b.coco.json' }, paths: ['experimentPath', 'out'], required: ['experimentPath', 'source'] },
  { def: SuggestBoxesRequest, base: { imagePath: 'missing.png', source: 'saliency', runDir: 'no-run', maxBoxes: 3 }, paths: ['imagePath', 'runDir'], required: ['imagePath', 'source'] },
  { def: SuggestBoxesRequest, base: { imagePath: 'missing.png', source: 'model', runDir: 'no-run', maxBoxes: 3 }, paths: ['imagePath', 'runDir'], required: ['imagePath', 'source'] },
  { def: RankByUncertaintyRequest, base: { runDir: 'no-run', imagePaths: ['missing.png'] }, paths: ['runDir'], required: ['runDir', 'imagePaths'] },
  { def: ViewerDecodeRequest, base: { path: 'missing.nrrd', outFile: 'x.raw', maxBytes: 1000 }, paths: ['path', 'outFile'], required: ['path', 'outFile', 'maxBytes'] },
  { def: ExplainLayersRequest, base: { runDir: 'no-run' }, paths: ['runDir'], required: ['runDir'] },
  { def: GradCamRequest, base: { runDir: 'no-run', imagePath: 'img.png', classIndex: 0, method: 'gradcam' }, paths: ['runDir', 'imagePath'], required: ['runDir', 'imagePath'] },
  { def: TopKernelsRequest, base: { runDir: 'no-run', imagePath: 'img.png', count: 2 }, paths: ['runDir', 'imagePath'], required: ['runDir', 'imagePath'] },
  { def: KernelInterpretRequest, base: { runDir: 'no-run', imagePath: 'img.png', kernel: 0, streamId: 's', maxSteps: 1 }, paths: ['runDir', 'imagePath'], required: ['runDir', 'imagePath', 'kernel', 'streamId'] },
  { def: GlmaeReconstructionRequest, base: { runDir: 'no-run', volumePath: 'img.png', maskRatio: 0.5, seed: 1 }, paths: ['runDir', 'volumePath'], required: ['runDir', 'volumePath'] },
];

test('every request with missing, wrong-typed, huge and hostile values gets an error naming the field; the server stays up and writes nothing outside', async () => {
  const hostile = () => [
    path.join(decoy, 'secret.txt'),
    '../decoy/secret.txt',
    '../../../../../../../../etc/passwd',
    fs.existsSync('/etc/shadow') ? '/etc/shadow' : '/etc/passwd',
    'out-link/secret.txt',
    'out-link',
    'secret-link.medstudio.yaml',
    'dangling.raw',
    '/',
    `img.png\0${path.join(decoy, 'x')}`,
  ];
  const wrong: unknown[] = [42, -1.5, true, null, {}, [], { $ref: '#' }, 'x'.repeat(70_000)];
  let count = 0;
  for (const { def, base: params, paths, required } of CASES) {
    const what = (s: string) => `${def.method} ${s}`;
    for (const whole of [undefined, null, 42, 'params', [1, 2]]) {
      await assert.rejects(send(def, whole), (e: RpcError) => e.code === INVALID_PARAMS, what(`params ${JSON.stringify(whole)}`));
      count++;
    }
    await refused(send(def, { ...params, extra: 1 }), 'extra', what('with an unknown field'));
    for (const f of required) {
      const { [f]: _dropped, ...rest } = params;
      await refused(send(def, rest), f, what(`without ${f}`));
      count += 2;
    }
    for (const f of Object.keys(params)) {
      for (const v of wrong) {
        if (typeof params[f] === 'number' && typeof v === 'number' && Number.isInteger(v) && v >= 0) continue;
        await refused(send(def, { ...params, [f]: v }), f, what(`${f}=${JSON.stringify(v).slice(0, 20)}`));
        count++;
      }
    }
    for (const f of paths) {
      for (const v of hostile()) {
        await refused(send(def, { ...params, [f]: v }), f, what(`${f}=${v.slice(0, 60)}`));
        count++;
      }
    }
  }
  for (const def of [ComputeStatusRequest, ListJobsRequest] as { method: string }[]) {
    for (const v of [42, 'x', { a: 1 }, [1, 2]]) {
      await assert.rejects(send(def, v), (e: RpcError) => e.code === INVALID_PARAMS, `${def.method} ${JSON.stringify(v)}`);
      count++;
    }
  }
  assert.ok(count > 500, `${count} hostile requests`);
  assert.ok((await send(ListJobsRequest, undefined)).jobs, 'the server still answers');
  assert.equal(server.proc.exitCode, null, 'the server is still running');
});

test('nothing outside the workspace changed', () => {
  assert.deepEqual(snapshot(decoy), decoyBefore);
  const left = fs.readdirSync(base).sort();
  assert.ok(left.every((n) => ['ws', 'decoy', 'cache', 'ws-stale', 'ws-untrusted'].includes(n)), `unexpected entries beside the workspace: ${left.join(', ')}`);
});
