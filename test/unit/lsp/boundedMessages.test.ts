import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundedMessages, TOO_LARGE_METHOD } from '../../../server/src/lsp/boundedMessages';

const frame = (body: string) => `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** Feeds `input` in chunks of `size` bytes and returns what comes out, and what was logged. */
async function run(input: string, size: number, limit: number): Promise<{ out: string; logs: string[] }> {
  const logs: string[] = [];
  const t = boundedMessages(limit, (m) => logs.push(m));
  const parts: Buffer[] = [];
  t.on('data', (d: Buffer) => parts.push(d));
  const buf = Buffer.from(input);
  for (let i = 0; i < buf.length; i += size) t.write(buf.subarray(i, i + size));
  t.end();
  await new Promise((r) => t.on('end', r));
  return { out: Buffer.concat(parts).toString(), logs };
}

test('messages under the limit pass through unchanged, however the stream is cut', async () => {
  const input = frame('{"jsonrpc":"2.0","id":1,"method":"a","params":{"x":"é"}}') + frame('{"jsonrpc":"2.0","method":"n"}');
  for (const size of [1, 3, 7, 64, 10_000]) assert.equal((await run(input, size, 1000)).out, input, `chunks of ${size}`);
});

test('a message over the limit is replaced by a small request with its id; the next one still passes', async () => {
  const big = `{"jsonrpc":"2.0","id":"req-7","method":"medstudio/jobs/start","params":{"experimentPath":"${'x'.repeat(5000)}"}}`;
  const after = frame('{"jsonrpc":"2.0","id":8,"method":"b"}');
  for (const size of [5, 333, 100_000]) {
    const { out, logs } = await run(frame(big) + after, size, 1000);
    const expected = `{"jsonrpc":"2.0","id":"req-7","method":"${TOO_LARGE_METHOD}","params":{"bytes":${big.length},"limit":1000}}`;
    assert.equal(out, frame(expected) + after, `chunks of ${size}`);
    assert.match(logs[0]!, /dropped a \d+-byte message/);
  }
  // A notification has no id to answer: dropped and logged.
  const { out, logs } = await run(frame(`{"jsonrpc":"2.0","method":"n","params":"${'y'.repeat(2000)}"}`) + after, 50, 1000);
  assert.equal(out, after);
  assert.match(logs[0]!, /no id/);
});
