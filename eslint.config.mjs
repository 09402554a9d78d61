import tseslint from 'typescript-eslint';

/**
 * The layers of src/, top to bottom (README "Layout"): each may import only the layers below it.
 * An import's path is matched by the folder it climbs into (`../api/...`, `../../config/...`).
 */
const LAYERS = [
  { dir: 'cli', below: ['bench', 'server', 'api', 'orchestration', 'services', 'monitoring', 'config', 'common', 'simulator'] },
  { dir: 'bench', below: ['server', 'api', 'orchestration', 'services', 'monitoring', 'config', 'common', 'simulator'] },
  { dir: 'server', below: ['api', 'orchestration', 'services', 'monitoring', 'config', 'common'] },
  { dir: 'api', below: ['orchestration', 'services', 'monitoring', 'config', 'common'] },
  { dir: 'orchestration', below: ['services', 'monitoring', 'config', 'common'] },
  { dir: 'services', below: ['monitoring', 'config', 'common'] },
  { dir: 'monitoring', below: ['config', 'common'] },
  { dir: 'config', below: ['common'] },
  { dir: 'common', below: [] },
  { dir: 'simulator', below: ['config', 'common'] },
];
const ALL = LAYERS.map((l) => l.dir);
/** Fastify's types belong to the HTTP edge and the composition root only. */
const EDGE = ['api', 'server', 'cli', 'bench'];

const layerRules = LAYERS.map(({ dir, below }) => {
  const forbidden = ALL.filter((d) => d !== dir && !below.includes(d));
  const patterns = [];
  if (forbidden.length) {
    patterns.push({
      regex: `^(\\.\\./)+(${forbidden.join('|')})(/|$)`,
      message: `src/${dir} may import ${below.length ? `only ${below.join(', ')}` : 'nothing of ours'} (README "Layout": imports point down).`,
    });
  }
  if (!EDGE.includes(dir)) {
    patterns.push({ group: ['fastify', 'fastify/*', '@nestjs/platform-fastify'], message: 'Fastify types stay in src/api and src/server.' });
  }
  return { files: [`src/${dir}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'reports/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A lost promise in a stream handler is a leak: every promise is awaited, returned or voided.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  ...layerRules,
);
