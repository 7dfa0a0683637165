// ESLint (flat config): ESLint's and typescript-eslint's recommended rules, the TypeScript ones with type information
// (each file is checked against the tsconfig.json nearest to it: src/, test/, bench/ or the web page's, with the DOM).
// eslint-config-prettier comes last and turns off every rule that formatting would decide: Prettier formats.
// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  // Build output, notebooks, data and fixtures, and what .gitignore keeps out of the repository (runs, scratch).
  {
    ignores: [
      'dist/',
      'build/',
      'build-bench/',
      'native/build/',
      'notebooks/',
      'data/',
      'test/fixtures/',
      'runs/',
      'scratch/',
    ],
  },
  eslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // require() stays for these packages only: each is loaded at first use, synchronously, because it is heavy or
      // optional (a top-level import would load it at start-up, and import() is asynchronous).
      '@typescript-eslint/no-require-imports': [
        'error',
        {
          allow: [
            '^@tensorflow/tfjs-node$',
            '^@tensorflow/tfjs-backend-wasm$',
            '^papaparse$',
            '^danfojs-node$',
            '^vega$',
            '^vega-lite$',
            '^rxjs$',
            '^nodeplotlib$',
            '^tslab/dist/jupyter$',
            '^@resvg/resvg-js$',
          ],
        },
      ],
      // `const { omitted: _, ...rest } = object` is how the code leaves keys out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // node:test's test() and describe() return promises that the runner itself awaits: not floating.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it'] }] },
      ],
    },
  },
  {
    // The scripts are CommonJS for Node, run as they are (no TypeScript, so no type information).
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: globals.node },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
  prettier,
);
