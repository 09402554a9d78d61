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
  transformIgnorePatterns: ['/node_modules/(?!(@nestjs|file-type|strtok3|token-types|uint8array-extras|@tokenizer|@borewit|cookie|get-port|execa|@sindresorhus|@sec-ant|figures|is-unicode-supported|get-stream|is-stream|human-signals|is-plain-obj|npm-run-path|path-key|unicorn-magic|pretty-ms|parse-ms|strip-final-newline|yoctocolors|mistral-tokenizer-js|llama-tokenizer-js)/)'],
  // unicorn-magic (under execa) exports only an `import` condition, which jest's CommonJS resolver never matches.
  // Tests import the package by its name (package.json `exports`), as a user's test does: its source entry.
  moduleNameMapper: { '^unicorn-magic$': '<rootDir>/node_modules/unicorn-magic/node.js', '^citadel-llm-server$': '<rootDir>/src/index.ts' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30000,
};
