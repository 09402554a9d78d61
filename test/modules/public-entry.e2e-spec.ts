import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Mixtral8x7BConfig, Mixtral8x7BService, MixtralService, MixtralServiceConfig, loadCitadelConfig } from 'citadel-llm-server';
import { REPO } from '../support/start-citadel';

/** What a user imports: the package's entry (package.json `exports`), and README's example. */
describe('the public entry', () => {
  it('exports TC-L1-COMP-MIXTRAL-003\'s MixtralService and MixtralServiceConfig: the Mixtral-8x7B service and its config class', () => {
    expect(MixtralService).toBe(Mixtral8x7BService);
    expect(MixtralServiceConfig).toBe(Mixtral8x7BConfig);
    const config = loadCitadelConfig({ env: {}, only: ['mixtral-8x7b'] }).model('mixtral-8x7b');
    expect(config).toBeInstanceOf(MixtralServiceConfig);
    expect(config).toMatchObject({ id: 'mixtral-8x7b', service: { port: 11400 }, performance: { target_latency_ms: 2000, memory_limit_gb: 90, cpu_cores: 8 } });
  });

  it('is what package.json names, and the built package resolves by its name (npm run build first)', () => {
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ main: 'dist/index.js', types: 'dist/index.d.ts', exports: { '.': { types: './dist/index.d.ts', default: './dist/index.js' } } });
    // tsconfig.build.json compiles src/ into dist/: src/index.ts is dist/index.js.
    expect(JSON.parse(readFileSync(join(REPO, 'tsconfig.build.json'), 'utf8')).compilerOptions.rootDir).toBe('./src');
    const script = "const p = require('citadel-llm-server'); console.log(JSON.stringify([p.MixtralService.name, p.MixtralServiceConfig.name, typeof p.ModelAppModule.forRoot, typeof p.createTestingHttpApp]))";
    const names = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: REPO, encoding: 'utf8' }));
    expect(names).toEqual(['Mixtral8x7BService', 'Mixtral8x7BConfig', 'function', 'function']);
  });

  it('README\'s module example is test/modules/readme-example.e2e-spec.ts, verbatim', () => {
    const example = readFileSync(join(REPO, 'test/modules/readme-example.e2e-spec.ts'), 'utf8');
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    expect(readme).toContain('```ts\n' + example + '```\n');
  });
});
