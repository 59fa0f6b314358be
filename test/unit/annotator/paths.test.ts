import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { isInside, rebaseFileName, resolveImagePath } from '../../../extension/src/editors/annotator/paths';

const ws = path.resolve('/ws');
const coco = path.join(ws, 'data', 'derm', 'boxes.coco.json');

test('image paths resolve against the box file and may lie anywhere in the workspace', () => {
  assert.equal(resolveImagePath(coco, 'images/a.png', [path.dirname(coco), ws]), path.join(ws, 'data', 'derm', 'images', 'a.png'));
  assert.equal(resolveImagePath(coco, '../shared/b.png', [path.dirname(coco), ws]), path.join(ws, 'data', 'shared', 'b.png'));
});

test('an image path that escapes the dataset and workspace is refused with a clear error', () => {
  const r = resolveImagePath(coco, '../../../etc/passwd', [path.dirname(coco), ws]);
  assert.ok(r instanceof Error);
  assert.match(r.message, /image '\.\.\/\.\.\/\.\.\/etc\/passwd' resolves to .*etc.passwd, outside the dataset folder and the workspace .* it was not read/);
  assert.ok(resolveImagePath(coco, '/etc/passwd', [path.dirname(coco)]) instanceof Error, 'absolute paths too');
  assert.equal(isInside(path.join(ws, '..', 'wsx'), ws), false, 'a sibling folder with the same prefix is outside');
});

test('Save As to another folder rewrites image paths to name the same files', () => {
  const from = path.join(ws, 'data', 'derm');
  assert.equal(rebaseFileName('images/a.png', from, path.join(ws, 'out')), '../data/derm/images/a.png');
  assert.equal(rebaseFileName('images/a.png', from, from), 'images/a.png');
});
