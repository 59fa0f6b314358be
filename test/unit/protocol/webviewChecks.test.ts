/**
 * The extension host's side of every webview channel checks what the webview sends against the
 * protocol's schemas before a handler or listener sees it: a bad request is answered with an
 * error naming the field, a bad event is dropped and reported, and neither reaches the handler.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AnnotatorHostEventPayloads,
  AnnotatorHostRequestParams,
  StatusPanelRequestParams,
  ViewerHostEventPayloads,
  ViewerHostRequestParams,
  WebviewChannel,
  type AnnotatorHostEvents,
  type AnnotatorHostRequests,
  type RequestMap,
  type WireMessage,
} from '../../../server/src/protocol';
import { checkParams, incomingChecker } from '../../../server/src/protocol/validate';

type Reply = Extract<WireMessage, { kind: 'response' }>;

/** A host-side channel as the extension builds it, with what it posts back and what it rejected. */
function hostChannel<Req extends RequestMap, Ev extends Record<string, unknown>>(requests: Parameters<typeof incomingChecker>[0], events: Parameters<typeof incomingChecker>[1]) {
  const posted: WireMessage[] = [];
  const rejected: string[] = [];
  const ch = new WebviewChannel<RequestMap, Req, Record<string, unknown>, Ev>((m) => posted.push(m), 1000, incomingChecker(requests, events, (t, p) => rejected.push(`${t}: ${p}`)));
  const ask = async (method: string, params: unknown): Promise<Reply> => {
    const id = posted.length + 1000;
    ch.receive({ kind: 'request', id, method, params });
    for (let i = 0; i < 50; i++) {
      const r = posted.find((m): m is Reply => m.kind === 'response' && m.id === id);
      if (r) return r;
      await new Promise((res) => setImmediate(res));
    }
    throw new Error(`no answer to ${method}`);
  };
  return { ch, ask, rejected };
}

test('annotator: a malformed edit is answered with an error naming the field and never reaches the document', async () => {
  const { ch, ask } = hostChannel<AnnotatorHostRequests, AnnotatorHostEvents>(AnnotatorHostRequestParams, AnnotatorHostEventPayloads);
  const applied: unknown[] = [];
  ch.handle('edit', (intent) => (applied.push(intent), { ok: true }));
  const bad: [unknown, RegExp][] = [
    [{ kind: 'addBox', imageId: 1, bbox: ['a', 0, 1, 1], categoryId: 1 }, /bbox\.0/],
    [{ kind: 'addBox', imageId: 1, bbox: [0, 0, 1], categoryId: 1 }, /bbox/],
    [{ kind: 'setBox', id: -1, bbox: [0, 0, 1, 1] }, /\bid\b/],
    [{ kind: 'deleteBoxes', ids: new Array(200_000).fill(1) }, /ids has too many items/],
    [{ kind: 'rm -rf', ids: [1] }, /kind must be addBox, setBox, .* or review/],
    [{ kind: 'review', imageId: 1, entry: { status: 'hacked' } }, /entry/],
    [{ kind: 'addSuggestions', imageId: 1, categoryId: 0, boxes: [{ bbox: [0, 0, 1, 1], score: 2, source: 'saliency' }] }, /boxes\.0\.score/],
    [{ kind: 'acceptSuggestions', ids: [1], extra: '<img src=x>' }, /extra is not a known field/],
    [null, /params/],
  ];
  for (const [intent, field] of bad) {
    const r = await ask('edit', intent);
    assert.equal(r.ok, false, JSON.stringify(intent).slice(0, 80));
    assert.match(r.ok ? '' : r.error, field);
  }
  assert.deepEqual(applied, [], 'no malformed edit reached the handler');
  const good = await ask('edit', { kind: 'addBox', imageId: 1, bbox: [1.5, 2, 10, 12], categoryId: 3 });
  assert.equal(good.ok, true);
  assert.equal(applied.length, 1);
});

test('annotator and viewer: a malformed event is dropped and reported, a good one is delivered', () => {
  const { ch, rejected } = hostChannel<AnnotatorHostRequests, AnnotatorHostEvents>(AnnotatorHostRequestParams, AnnotatorHostEventPayloads);
  const seen: unknown[] = [];
  ch.on('currentImage', (p) => seen.push(p));
  ch.receive({ kind: 'event', type: 'currentImage', payload: { imageId: 'x' } });
  ch.receive({ kind: 'event', type: 'currentImage', payload: { imageId: 4, html: '<b>' } });
  ch.receive({ kind: 'event', type: 'noSuchEvent', payload: {} });
  ch.receive({ kind: 'event', type: 'currentImage', payload: { imageId: 4 } });
  assert.deepEqual(seen, [{ imageId: 4 }]);
  assert.equal(rejected.length, 3);
  assert.match(rejected[0]!, /imageId/);
  assert.match(rejected[2]!, /no such event/);

  const viewer = hostChannel(ViewerHostRequestParams, ViewerHostEventPayloads);
  viewer.ch.on('failed', () => assert.fail('a 1 MB failure message was delivered'));
  viewer.ch.receive({ kind: 'event', type: 'failed', payload: { message: 'x'.repeat(1 << 20) } });
  assert.match(viewer.rejected[0]!, /message is too long/);
});

test('viewer and status panel: wrong-typed, missing and oversized params are refused before the handler runs', async () => {
  const viewer = hostChannel(ViewerHostRequestParams, ViewerHostEventPayloads);
  viewer.ch.handle('resolve', () => assert.fail('resolve ran'));
  for (const [params, field] of [[{ path: 42 }, /path/], [{}, /path is required/], [{ path: 'a'.repeat(5000) }, /path is too long/], [{ path: '' }, /path is required/]] as const) {
    const r = await viewer.ask('resolve', params);
    assert.equal(r.ok, false);
    assert.match(r.ok ? '' : r.error, field);
  }
  const status = hostChannel(StatusPanelRequestParams, {});
  status.ch.handle('resume', () => assert.fail('resume ran'));
  status.ch.handle('cancel', () => assert.fail('cancel ran'));
  const r1 = await status.ask('resume', { runDir: 42 });
  assert.match(r1.ok ? '' : r1.error, /^resume: runDir/);
  const r2 = await status.ask('cancel', null);
  assert.equal(r2.ok, false);
  // A request for a method nobody handles is refused too, without echoing a huge name.
  const r3 = await status.ask('x'.repeat(200), {});
  assert.equal(r3.ok, false);
});

test('a malformed envelope (non-numeric id, missing or huge method name) is ignored', () => {
  const { ch } = hostChannel(ViewerHostRequestParams, ViewerHostEventPayloads);
  let ran = 0;
  ch.handle('ready', () => void ran++);
  for (const m of [{ kind: 'request', id: 'x', method: 'ready', params: null }, { kind: 'request', id: 1, params: null }, { kind: 'request', id: 1, method: 'r'.repeat(300), params: null }, { kind: 'event', type: 42 }]) ch.receive(m);
  assert.equal(ran, 0);
});

test('checkParams names the field and what it must be, without echoing long values', () => {
  const s = AnnotatorHostRequestParams.suggest;
  assert.equal(checkParams(s, { imageId: 1, source: 'saliency', categoryId: 0 }), undefined);
  assert.match(checkParams(s, { imageId: 1, source: 'telepathy', categoryId: 0 })!, /source must be saliency, segmentation or model, not 'telepathy'/);
  const long = checkParams(s, { imageId: 1, source: 'y'.repeat(10_000), categoryId: 0 })!;
  assert.ok(long.length < 200 && !long.includes('yyyy'), long);
  assert.match(checkParams(s, { source: 'saliency', categoryId: 0 })!, /imageId is required/);
});
