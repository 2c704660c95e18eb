// APPSYNC_JS restrictions (no try/catch, classic for, ++, async, ...) are enforced
// with the AppSync plugin's type-aware `recommended` rules.
import appsync from '@aws-appsync/eslint-plugin';

export default [
  { ...appsync.configs.recommended, files: ['graphql/**/*.js'] },
  {
    files: ['graphql/**/*.js'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
];
