/**
 * The boundaries of the tree, kept by the linter (`npm run lint`, part of `npm test`):
 * - src/core is pure: it imports only src/core and xstate;
 * - src/controller drives the world through the Env contract only, never a driver;
 * - src never imports bench/ or test/; test/lab (the lab infrastructure) imports neither bench/
 *   nor other test files; bench/ imports test/lab only;
 * - no import cycles anywhere.
 * No rule needs type information, so no TypeScript program is built and the run stays fast.
 * test/unit/lint/boundaries.test.ts proves that the rules still fire.
 */
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const CORE_ONLY =
  'src/core is pure (STYLE.md 1): it imports only src/core and xstate; everything else comes through the Env contract';

export default defineConfig(
  {
    ignores: ['node_modules/', 'src/store/generated/', 'bench/results/', '.3rc/', 'tmp/', '**/*.d.ts'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{ts,js,mjs}'],
    plugins: { 'import-x': importX },
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', performance: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly',
        setImmediate: 'readonly', clearImmediate: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly',
        AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly',
        fetch: 'readonly', Response: 'readonly', Request: 'readonly', Headers: 'readonly', NodeJS: 'readonly',
      },
    },
    settings: {
      // Dependencies are parsed too (for cycles): with the TypeScript parser, as .ts files.
      'import-x/extensions': ['.ts', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      // General rules: the recommended sets, minus two whose every hit here is deliberate (PXE and
      // terminal parsing match control characters; `let x = ''; try { x = ... } catch` is our idiom).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
      'no-control-regex': 'off',
      'no-useless-assignment': 'off',
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            { target: './src', from: './bench', message: 'src never imports bench/' },
            { target: './src', from: './test', message: 'src never imports test/' },
            { target: './src/controller', from: './src/drivers', message: 'the controller acts through the Env contract, never a driver' },
            { target: './src/core', from: './src', except: ['./core'], message: CORE_ONLY },
            { target: './test/lab', from: './bench', message: 'test/lab is used by the bench, never the other way round' },
            { target: './test/lab', from: './test', except: ['./lab'], message: 'test/lab imports no test files' },
            { target: './bench', from: './test', except: ['./lab'], message: 'bench/ may import test/lab only' },
          ],
        },
      ],
    },
  },
  {
    // Packages and Node built-ins: src/core may use xstate and nothing else.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!xstate(/|$)|\\.{1,2}/)', message: CORE_ONLY }] }],
    },
  },
);
