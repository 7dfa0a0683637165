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
  { ignores: ['dist/', 'build/', 'build-bench/', 'native/build/', 'notebooks/', 'data/', 'test/fixtures/'] },
  eslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
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
