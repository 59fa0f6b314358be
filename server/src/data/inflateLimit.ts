/**
 * Decompression with an output limit. A few megabytes of gzip or zip can inflate to gigabytes
 * (a damaged file, or a deliberate "bomb"), so every decompressor in the data readers stops at a
 * limit the caller knows (what the header describes, or the reader's size limit) instead of
 * allocating whatever the stream yields.
 */
import { gunzipSync } from 'node:zlib';

/** Thrown when the output would pass `limit` bytes; callers turn it into an error naming their file. */
export class InflateLimitError extends Error {
  constructor(readonly limit: number) {
    super(`decompresses to more than ${limit} bytes`);
    this.name = 'InflateLimitError';
  }
}

/** gunzip that refuses to produce more than `limit` bytes (zlib stops at the limit; nothing larger is allocated). */
export function gunzipLimited(data: Uint8Array, limit: number): Uint8Array {
  try {
    return new Uint8Array(gunzipSync(data, { maxOutputLength: Math.max(1, Math.floor(limit)) }));
  } catch (e) {
    // Node reports the limit as a RangeError (ERR_BUFFER_TOO_LARGE); other errors are the stream's own.
    if (e instanceof RangeError) throw new InflateLimitError(limit);
    throw e;
  }
}
