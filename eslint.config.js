// ESLint, flat config: the recommended JavaScript and typescript-eslint rules (no type-aware
// rules), with the few exceptions this code base needs. Formatting is Prettier's (.prettierrc.json).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'web/dist/', 'node_modules/', 'src/kernels/wasm/generated/', 'src/kernels/wasm/assembly/', 'bench/peers/', 'docs/api/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      // `_name` marks a parameter an interface requires and this implementation does not read.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Non-null assertions state an invariant the type system cannot see (a buffer sized in shape(), a map filled above).
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Tests build damaged files from parsed JSON of any shape.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
