import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeNonce, renderWebviewHtml } from '../../../extension/src/webviewHtml';

test('webview nonces come from a CSPRNG, not Math.random, and styles need the nonce too', () => {
  const random = Math.random;
  Math.random = () => 0; // a predictable Math.random must not make predictable nonces
  try {
    const a = makeNonce();
    const b = makeNonce();
    assert.notEqual(a, b);
    assert.match(a, /^[0-9a-f]{32}$/);
  } finally {
    Math.random = random;
  }
  const html = renderWebviewHtml({ title: 't', scriptUri: 'x.js', cspSource: 'vscode-resource:', nonce: 'abc' });
  assert.match(html, /style-src vscode-resource: 'nonce-abc'/);
  assert.doesNotMatch(html, /unsafe-inline/);
  assert.match(html, /<style nonce="abc">/);
});
