/**
 * Reads a URL into one buffer, gunzipping on the fly with the browser's DecompressionStream.
 * `sizeFromHead` sees the first bytes and says how large the whole thing will be, so the
 * buffer is allocated once (no doubling while growing) and an over-limit volume is refused
 * before it is read.
 */
export interface ReadOptions {
  gzip: boolean;
  /** Returns the total decompressed size once `head` is long enough, else undefined. */
  sizeFromHead: (head: Uint8Array) => number | undefined;
  /** Called with the total size before allocation: throw to refuse. */
  check?: (total: number) => void;
  /** Called as bytes arrive, with the whole (partly filled) buffer and how much is filled. */
  progress?: (out: Uint8Array, filled: number) => void;
}

/** How long reading may hold the main thread before it lets the page draw (ms). */
const YIELD_EVERY_MS = 30;

export async function readAll(url: string, o: ReadOptions): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`could not read ${decodeURIComponent(url.split('/').pop() ?? url)} (HTTP ${res.status})`);
  let stream: ReadableStream<Uint8Array> = res.body;
  if (o.gzip) stream = stream.pipeThrough(new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>);
  const reader = stream.getReader();
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let out: Uint8Array | undefined;
  let filled = 0;
  // Chunks can arrive back to back as resolved promises, which never lets the page render: give
  // the browser a task boundary now and then so the first slices show while the rest streams.
  let lastYield = performance.now();
  try {
    for (;;) {
      if (performance.now() - lastYield > YIELD_EVERY_MS) {
        await new Promise((r) => setTimeout(r, 0));
        lastYield = performance.now();
      }
      const { done, value } = await reader.read();
      if (done) break;
      if (!out) {
        pending.push(value);
        pendingBytes += value.byteLength;
        const head = pending.length === 1 ? value : concat(pending, pendingBytes);
        const total = o.sizeFromHead(head);
        if (total === undefined) continue;
        o.check?.(total);
        out = new Uint8Array(Math.max(total, pendingBytes));
        out.set(head.subarray(0, out.length));
        filled = Math.min(head.length, out.length);
        pending.length = 0;
        o.progress?.(out, filled);
        continue;
      }
      if (filled + value.byteLength > out.length) {
        // Longer than the header said (extensions, trailing bytes): keep what we need.
        out.set(value.subarray(0, out.length - filled), filled);
        filled = out.length;
        await reader.cancel();
        break;
      }
      out.set(value, filled);
      filled += value.byteLength;
      o.progress?.(out, filled);
    }
  } finally {
    reader.releaseLock();
  }
  if (!out) {
    const all = concat(pending, pendingBytes);
    const total = o.sizeFromHead(all);
    if (total === undefined) return all;
    o.check?.(total);
    return all;
  }
  return filled < out.length ? out.subarray(0, filled) : out;
}

function concat(parts: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}
