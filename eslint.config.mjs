// One lint config for every folder.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.medstudio/**', 'samples/data/**', '.cache/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Deep imports into tfjs's dist/ are ESM files that only work where esbuild bundles them;
      // registerGradients.ts is the one place that needs them. The extension host never loads
      // TensorFlow.js.
      'no-restricted-imports': ['error', { patterns: [{ group: ['@tensorflow/*/dist/*'], message: 'import the package, not its dist/ files (gradients: server/src/engine/registerGradients.ts)' }] }],
    },
  },
  { files: ['server/src/engine/registerGradients.ts'], rules: { 'no-restricted-imports': 'off' } },
  {
    files: ['extension/**/*.ts', 'webviews/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@tensorflow/*', 'itk-wasm', '@itk-wasm/*'], message: 'the extension host and webviews never load TensorFlow.js or itk-wasm directly: ask the server' }] }],
    },
  },
);
