/**
 * Loaded run models, kept between requests (loading is the slow part of a Grad-CAM) but bounded:
 * the least recently used is disposed when the cache is full. A model in use by a running request
 * is disposed only when that request releases it. A run retrained in place (model.json newer)
 * is reloaded.
 */
import * as path from 'node:path';
import { modelStamp, openRunModel, type RunModel } from './runModel';

interface Entry {
  key: string;
  loading: Promise<RunModel>;
  users: number;
  evicted: boolean;
  /** Set once loaded, so eviction can dispose synchronously. */
  run?: RunModel;
}

export interface Lease {
  run: RunModel;
  release(): void;
}

export class ModelCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly capacity = 2,
    private readonly open: (runDir: string) => Promise<RunModel> = openRunModel,
  ) {}

  /** The run's model, loaded once; call release() when done with it. */
  async acquire(runDir: string): Promise<Lease> {
    const key = path.resolve(runDir);
    const stamp = modelStamp(key);
    let entry = this.entries.get(key);
    if (entry) {
      const loaded = await entry.loading.catch(() => undefined);
      if (!loaded || loaded.stamp !== stamp) {
        this.evict(entry);
        entry = undefined;
      }
    }
    if (!entry) {
      const fresh: Entry = { key, loading: this.open(key), users: 0, evicted: false };
      fresh.loading.then((r) => (fresh.run = r), () => undefined);
      entry = fresh;
      this.entries.set(key, entry);
      // A failed load is not cached: the next request tries again.
      entry.loading.catch(() => this.entries.get(key) === entry && this.entries.delete(key));
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    entry.users++;
    let run: RunModel;
    try {
      run = await entry.loading;
    } catch (e) {
      entry.users--;
      throw e;
    }
    this.trim();
    let released = false;
    const e = entry;
    return {
      run,
      release: () => {
        if (released) return;
        released = true;
        e.users--;
        if (e.evicted && e.users === 0) disposeEntry(e);
      },
    };
  }

  /** Disposes every model not in use (and the rest as soon as they are released). */
  clear(): void {
    for (const e of [...this.entries.values()]) this.evict(e);
  }

  get size(): number {
    return this.entries.size;
  }

  private trim(): void {
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.values().next().value as Entry;
      this.evict(oldest);
    }
  }

  private evict(e: Entry): void {
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    if (e.evicted) return;
    e.evicted = true;
    if (e.users === 0) disposeEntry(e);
  }
}

function disposeEntry(e: Entry): void {
  if (e.run) e.run.model.dispose();
  // Still loading: dispose as soon as it arrives.
  else e.loading.then((r) => r.model.dispose(), () => undefined);
}
