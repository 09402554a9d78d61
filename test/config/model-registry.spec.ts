import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { loadCitadelConfig, MODEL_CONFIG_CLASSES } from '../../src/config/config-loader';
import { ModelServiceConfig } from '../../src/config/model-config';
import { envPrefix, isModelId, MODEL_IDS } from '../../src/config/model-ids';
import { MODEL_MODULES, modelModuleFor, SharedModelModule } from '../../src/services/ai-models/model-modules';
import { ModelService } from '../../src/services/ai-models/model-service';
import { simulatorModelFromConfig } from '../../src/simulator/model-from-config';
import { HUGE_HOST, TempDirs } from './config-fixtures';

/**
 * A made-up fifth model, added the way the registry says a model is added: one entry (this mock
 * appends exactly one to the shipped table) and its YAML (written below). Nothing else changes.
 */
jest.mock('../../src/config/model-registry', () => {
  const actual = jest.requireActual('../../src/config/model-registry');
  const { ModelServiceConfig: Base } = jest.requireActual('../../src/config/model-config');
  return { ...actual, MODEL_REGISTRY: [...actual.MODEL_REGISTRY, { id: 'tiny-llm-1b', config: Base }] };
});

const TINY = 'tiny-llm-1b';

describe('the model registry: a fifth model is one entry and its YAML', () => {
  const dirs = new TempDirs();
  let configDir: string;

  beforeAll(() => {
    configDir = dirs.configCopy();
    // Its YAML: Yi-34B's shape with its own name, ports and path.
    const yaml = readFileSync(join(configDir, 'services', 'yi-34b.yaml'), 'utf8')
      .replace('name: yi-34b', `name: ${TINY}`)
      .replace('port: 11406', 'port: 11408')
      .replace('prometheus_port: 11407', 'prometheus_port: 11409')
      .replace('aliases: [yi]', 'aliases: [tiny]')
      // Its own served name: one name never routes to two models (config/model-names.ts).
      .replace('name: 01-ai/Yi-34B-Chat', 'name: tiny/llm-1b');
    writeFileSync(join(configDir, 'services', `${TINY}.yaml`), yaml);
    // Another model may name it as a fallback.
    const phi = join(configDir, 'services', 'phi-3-mini.yaml');
    writeFileSync(phi, readFileSync(phi, 'utf8').replace(/service:\n/, `service:\n  fallbacks: [${TINY}]\n`));
  });
  afterAll(() => dirs.cleanup());

  const load = (env: NodeJS.ProcessEnv = {}, only?: string[]) => loadCitadelConfig({ cwd: dirs.empty(), configDir, env, only, hostMemoryBytes: HUGE_HOST });

  it('is in the id list, with its config class and env prefix', () => {
    expect(MODEL_IDS).toEqual(['mixtral-8x7b', 'openchat-3.5', 'phi-3-mini', 'yi-34b', 'test', TINY]);
    expect(isModelId(TINY)).toBe(true);
    expect(MODEL_CONFIG_CLASSES[TINY as never]).toBe(ModelServiceConfig);
    expect(envPrefix(TINY)).toBe('TINY_LLM_1B');
  });

  it('is loaded and validated from its YAML, takes its env overrides, and is an allowed fallback', () => {
    const config = load({ TINY_LLM_1B_MAX_NUM_SEQS: '8' });
    const tiny = config.model(TINY)!;
    expect(tiny).toBeInstanceOf(ModelServiceConfig);
    expect(tiny.service.port).toBe(11408);
    expect(tiny.model.max_num_seqs).toBe(8);
    expect(config.model('phi-3-mini')!.service.fallbacks).toEqual([TINY]);
  });

  it('gets a Nest module, and the simulator can stand in for it', async () => {
    const tiny = load({}, [TINY]).model(TINY)!;
    expect(MODEL_MODULES[TINY as never]).toBe(SharedModelModule);
    expect(simulatorModelFromConfig(tiny)).toMatchObject({ id: TINY, servedName: 'tiny/llm-1b', maxNumSeqs: 64 });
    const module = await Test.createTestingModule({ imports: [modelModuleFor(tiny)] }).compile();
    try {
      expect(module.get(ModelService).id).toBe(TINY);
      expect(module.get(ModelService).names).toContain('tiny');
    } finally {
      await module.close();
    }
  });

  it('still refuses an unknown fallback id, naming the known ones', () => {
    const phi = join(configDir, 'services', 'phi-3-mini.yaml');
    const before = readFileSync(phi, 'utf8');
    writeFileSync(phi, before.replace(`fallbacks: [${TINY}]`, 'fallbacks: [nonesuch]'));
    try {
      expect(() => load()).toThrow(/service\.fallbacks.*must be a list of model ids \(mixtral-8x7b, openchat-3\.5, phi-3-mini, yi-34b, test, tiny-llm-1b\)/s);
    } finally {
      writeFileSync(phi, before);
    }
  });
});
