/**
 * Registers TensorFlow.js's gradient functions. `@tensorflow/tfjs-core`'s CommonJS build has no
 * gradients, and its `dist/register_all_gradients` is ESM with extensionless imports, which
 * fails to load in a bundled Node process. The union package's Node build registers them into
 * the shared global registry, so requiring it once is enough (and is what tfjs-node does too).
 */
import '@tensorflow/tfjs';
