/**
 * A size limit on whole LSP messages read from a stream (stdio). Frames pass through unchanged;
 * a message whose Content-Length is over the limit is dropped as it streams in (never held in
 * memory) and replaced by a small request to TOO_LARGE_METHOD with the same id (read from the
 * message's first bytes), which the server answers with an error: the caller learns why, and the
 * process never parses it. Over IPC, Node parses each message itself before the server sees it,
 * so there the schemas' per-field limits are what bound a request.
 */
import { Transform, type TransformCallback } from 'node:stream';

export const TOO_LARGE_METHOD = 'medstudio/$/messageTooLarge';
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_HEADER = 8192;
/** The id of a JSON-RPC request, from the first bytes of its body. */
const ID = /"id"\s*:\s*(-?\d{1,16}|"(?:[^"\\]|\\.){0,200}")/;

export function boundedMessages(maxBytes: number, log: (msg: string) => void): Transform {
  let header = Buffer.alloc(0);
  /** Bytes of the current body still to come, and whether they are passed on or dropped. */
  let remaining = 0;
  let dropping = false;
  let size = 0;
  let head = '';

  const replacement = (): Buffer | undefined => {
    const m = ID.exec(head);
    log(`dropped a ${size}-byte message (limit ${maxBytes} bytes)${m ? '' : '; it had no id to answer'}`);
    if (!m) return undefined;
    const body = Buffer.from(`{"jsonrpc":"2.0","id":${m[1]},"method":"${TOO_LARGE_METHOD}","params":{"bytes":${size},"limit":${maxBytes}}}`);
    return Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]);
  };

  return new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      let data = chunk;
      while (data.length > 0) {
        if (remaining > 0) {
          const take = Math.min(remaining, data.length);
          if (dropping) {
            if (head.length < 512) head += data.subarray(0, Math.min(take, 512 - head.length)).toString('latin1');
          } else this.push(data.subarray(0, take));
          remaining -= take;
          data = data.subarray(take);
          if (remaining === 0 && dropping) {
            dropping = false;
            const r = replacement();
            if (r) this.push(r);
          }
          continue;
        }
        header = Buffer.concat([header, data]);
        data = Buffer.alloc(0);
        const end = header.indexOf(HEADER_END);
        if (end < 0) {
          // Not a header we understand: pass it on and let the JSON-RPC reader report it.
          if (header.length > MAX_HEADER) {
            this.push(header);
            header = Buffer.alloc(0);
          }
          continue;
        }
        const text = header.subarray(0, end).toString('ascii');
        const rest = header.subarray(end + HEADER_END.length);
        header = Buffer.alloc(0);
        const length = Number(/content-length:\s*(\d+)/i.exec(text)?.[1] ?? NaN);
        if (!Number.isSafeInteger(length)) {
          this.push(Buffer.concat([Buffer.from(text, 'ascii'), HEADER_END]));
          data = rest;
          continue;
        }
        size = length;
        remaining = length;
        dropping = length > maxBytes;
        head = '';
        if (!dropping) this.push(Buffer.concat([Buffer.from(text, 'ascii'), HEADER_END]));
        else if (length === 0) remaining = 0;
        data = rest;
      }
      done();
    },
  });
}
