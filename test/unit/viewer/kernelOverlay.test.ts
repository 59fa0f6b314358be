import { test } from 'node:test';
import assert from 'node:assert/strict';
import { singleChannel } from '../../../extension/src/editors/viewer/overlayPixels';

const b64 = (a: number[]) => Buffer.from(new Float32Array(a).buffer).toString('base64');
const floats = (s: string) => [...new Float32Array(Uint8Array.from(Buffer.from(s, 'base64')).buffer)];

test('a kernel-interpretation image of an RGB model becomes one value per pixel for the overlay', () => {
  assert.deepEqual(floats(singleChannel(b64([0, 3, 6, 1, 1, 1]), 3)), [3, 1]);
  const grey = b64([5, 7]);
  assert.equal(singleChannel(grey, 1), grey);
  assert.equal(singleChannel(grey, undefined), grey);
});
