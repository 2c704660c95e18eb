// APPSYNC_JS restrictions (no try/catch, classic for, ++, async, ...) are enforced
// with the AppSync plugin's type-aware `recommended` rules.
// The local console's browser modules get eslint's own recommended rules.
import js from '@eslint/js';
import appsync from '@aws-appsync/eslint-plugin';

const BROWSER = ['window', 'document', 'location', 'fetch', 'URLSearchParams', 'FormData', 'TextDecoderStream', 'setTimeout', 'clearTimeout', 'queueMicrotask', 'sessionStorage'];

export default [
  { ...appsync.configs.recommended, files: ['graphql/**/*.js'] },
  {
    files: ['graphql/**/*.js'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  { ...js.configs.recommended, files: ['local/console/**/*.js'] },
  {
    files: ['local/console/**/*.js'],
    languageOptions: { sourceType: 'module', globals: Object.fromEntries(BROWSER.map((name) => [name, 'readonly'])) },
  },
];
