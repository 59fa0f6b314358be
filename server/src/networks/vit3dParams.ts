/**
 * Named trainable parameters of a functional network (plain tf.Variables, no LayersModel): the
 * ViT's attention and token selection do not map onto Keras layers without custom, hard to
 * serialise classes, so the networks here are functions over a ParamStore. Initialisation is
 * seeded; weights save in TensorFlow.js's weights-manifest format (vit3dWeights.ts).
 */
import * as tf from '@tensorflow/tfjs-core';
import { deriveSeed } from '../transforms/rng';

export class ParamStore {
  private readonly vars = new Map<string, tf.Variable>();
  private counter = 0;

  constructor(
    private readonly seed: number,
    private readonly trainable = true,
  ) {}

  private add(name: string, init: tf.Tensor): tf.Variable {
    if (this.vars.has(name)) {
      init.dispose();
      throw new Error(`parameter '${name}' declared twice`);
    }
    // Auto-generated tf names: two stores (student and teacher) hold the same keys.
    const v = tf.variable(init, this.trainable);
    init.dispose();
    this.vars.set(name, v);
    return v;
  }

  /** Truncated normal (std), as ViTs are initialised. */
  normal(name: string, shape: number[], std = 0.02): tf.Variable {
    const seed = deriveSeed(this.seed, ++this.counter);
    return this.add(name, tf.truncatedNormal(shape, 0, std, 'float32', seed));
  }

  /** Glorot-uniform for dense weights [fanIn, fanOut] (and conv kernels with explicit fans). */
  glorot(name: string, shape: number[], fanIn = shape[shape.length - 2] ?? 1, fanOut = shape[shape.length - 1] ?? 1): tf.Variable {
    const seed = deriveSeed(this.seed, ++this.counter);
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return this.add(name, tf.randomUniform(shape, -limit, limit, 'float32', seed));
  }

  zeros(name: string, shape: number[]): tf.Variable {
    return this.add(name, tf.zeros(shape));
  }

  ones(name: string, shape: number[]): tf.Variable {
    return this.add(name, tf.ones(shape));
  }

  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter '${name}'`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }

  variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** Parameters whose names start with `prefix` (e.g. 'encoder/'). */
  entries(prefix = ''): [string, tf.Variable][] {
    return [...this.vars.entries()].filter(([k]) => k.startsWith(prefix));
  }

  count(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /**
   * Copies values into this store's parameters of the same names (shapes must match).
   * Returns the names copied; `strict` requires every one of ours to be present.
   */
  assignFrom(values: Map<string, tf.Tensor> | Record<string, tf.Tensor>, opts: { prefix?: string; strict?: boolean } = {}): string[] {
    const get = (k: string): tf.Tensor | undefined => (values instanceof Map ? values.get(k) : values[k]);
    const copied: string[] = [];
    for (const [name, v] of this.entries(opts.prefix ?? '')) {
      const src = get(name);
      if (!src) {
        if (opts.strict) throw new Error(`weights have no '${name}'`);
        continue;
      }
      if (src.shape.join('x') !== v.shape.join('x')) {
        throw new Error(`weight '${name}' has shape [${src.shape.join(', ')}], the network needs [${v.shape.join(', ')}]`);
      }
      v.assign(src);
      copied.push(name);
    }
    return copied;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
