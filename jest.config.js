// Unit specs sit beside the code (src, *.spec.ts); e2e and integration tests live in test/.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e-spec.ts'],
  // Nest and class-validator read decorator metadata, as src/main.ts provides it.
  setupFiles: ['reflect-metadata'],
  transform: {
    // Type checking happens once in `npm run typecheck`; with isolatedModules (tsconfig.json)
    // tests only transpile, which keeps them fast.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // ES-module-only packages, compiled to CommonJS for jest (see the transformer's comment).
    '^.+\\.js$': '<rootDir>/test/jest/esm-package-transformer.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|file-type|strtok3|token-types|uint8array-extras|@tokenizer|@borewit|cookie|mistral-tokenizer-js|llama-tokenizer-js)/)'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
};
