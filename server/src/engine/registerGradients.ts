/**
 * Registers TensorFlow.js's gradient functions and chained ops (`t.sum()`), which
 * `@tensorflow/tfjs-core` registers only when these two side-effect modules are imported. They are
 * ESM files; esbuild bundles them (with tfjs-core's ESM build, so one copy of tfjs-core per
 * process) into the server, worker and CLI. The union package `@tensorflow/tfjs` is not used: its
 * Node build requires the WebGL backend, converter and data packages, which the server never
 * needs (and which a .vsix that left them out crashed on).
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
