/**
 * MoCo's queue of negatives: the last K keys, L2-normalised, as rows of a [K, dim] variable.
 * Enqueueing a batch overwrites the oldest rows (a ring buffer), which is the dequeue.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFloats } from '../../engine/tensorReads';
import type { Rng } from '../../transforms/rng';

export interface QueueSnapshot {
  size: number;
  dim: number;
  ptr: number;
  /** Row-major [size, dim]. */
  data: Float32Array;
}

export class NegativeQueue {
  readonly size: number;
  readonly dim: number;
  /** Index of the oldest row, where the next key goes. */
  ptr = 0;
  private readonly store: tf.Variable<tf.Rank.R2>;

  /** Starts with random unit vectors, as the reference does (seeded here). */
  constructor(size: number, dim: number, rng: Rng) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`queue size must be a positive integer, got ${size}`);
    this.size = size;
    this.dim = dim;
    const init = new Float32Array(size * dim);
    for (let r = 0; r < size; r++) {
      let n = 0;
      for (let c = 0; c < dim; c++) {
        const v = rng.normal();
        init[r * dim + c] = v;
        n += v * v;
      }
      n = Math.sqrt(n) || 1;
      for (let c = 0; c < dim; c++) init[r * dim + c]! /= n;
    }
    this.store = tf.tidy(() => tf.variable(tf.tensor2d(init, [size, dim]), false));
  }

  /** The negatives, [K, dim]. Owned by the queue: do not dispose. */
  get keys(): tf.Tensor2D {
    return this.store;
  }

  /** Replaces the oldest rows by `keys` [B, dim] (wrapping around the end). */
  enqueue(keys: tf.Tensor2D): void {
    const [b, d] = keys.shape;
    if (d !== this.dim) throw new Error(`queue holds ${this.dim}-d keys, got ${d}-d`);
    if (b > this.size) throw new Error(`batch of ${b} keys is larger than the queue (${this.size})`);
    tf.tidy(() => {
      const first = Math.min(b, this.size - this.ptr);
      const rest = b - first;
      const parts: tf.Tensor2D[] = [];
      // Rows [0, rest) take the wrapped tail of the batch; then the untouched rows; then the head.
      if (rest > 0) parts.push(tf.slice(keys, [first, 0], [rest, d]));
      const keepFrom = rest;
      const keepTo = this.ptr;
      if (keepTo > keepFrom) parts.push(tf.slice(this.store, [keepFrom, 0], [keepTo - keepFrom, d]));
      parts.push(tf.slice(keys, [0, 0], [first, d]));
      const after = this.ptr + first;
      if (after < this.size) parts.push(tf.slice(this.store, [after, 0], [this.size - after, d]));
      this.store.assign(tf.concat(parts, 0));
    });
    this.ptr = (this.ptr + b) % this.size;
  }

  async snapshot(): Promise<QueueSnapshot> {
    return { size: this.size, dim: this.dim, ptr: this.ptr, data: await readFloats(this.store) };
  }

  restore(s: QueueSnapshot): void {
    if (s.size !== this.size || s.dim !== this.dim) {
      throw new Error(`checkpoint queue is ${s.size}x${s.dim}, this run's is ${this.size}x${this.dim} (disco.queueSize or model.projectionDim changed)`);
    }
    tf.tidy(() => this.store.assign(tf.tensor2d(s.data, [s.size, s.dim])));
    this.ptr = s.ptr;
  }

  dispose(): void {
    this.store.dispose();
  }
}
