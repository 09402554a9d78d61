import 'reflect-metadata';
import { ConsoleLogger, Logger } from '@nestjs/common';
import { nestLogLevels } from '../../src/config/log-levels';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HUGE_HOST, TempDirs } from './config-fixtures';
import { loadCitadelConfig } from '../../src/config/config-loader';

describe('monitoring.log_level sets the logger level', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.cleanup());

  const served = (levels: Record<string, string>, only?: string[]) => {
    const copy = dirs.configCopy();
    for (const [id, level] of Object.entries(levels)) {
      const path = join(copy, 'services', `${id}.yaml`);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/log_level: \w+/, `log_level: ${level}`));
    }
    return loadCitadelConfig({ cwd: dirs.empty(), env: { CITADEL_CONFIG_DIR: copy }, only, hostMemoryBytes: HUGE_HOST }).models;
  };

  it.each([
    ['DEBUG', ['fatal', 'error', 'warn', 'log', 'debug', 'verbose']],
    ['INFO', ['fatal', 'error', 'warn', 'log']],
    ['WARNING', ['fatal', 'error', 'warn']],
    ['ERROR', ['fatal', 'error']],
  ])('%s: that level and those above it', (level, expected) => {
    expect(nestLogLevels(served({ 'phi-3-mini': level }, ['phi-3-mini']))).toEqual(expected);
  });

  it('one process serving several models logs at the most verbose of their levels', () => {
    expect(nestLogLevels(served({ 'phi-3-mini': 'ERROR', 'yi-34b': 'WARNING', 'mixtral-8x7b': 'ERROR', 'openchat-3.5': 'ERROR' }))).toEqual(['fatal', 'error', 'warn']);
  });

  it('WARNING silences Logger.log lines and keeps warnings (what serve applies)', () => {
    const printed: string[] = [];
    const spy = jest.spyOn(ConsoleLogger.prototype as unknown as { printMessages: (m: unknown[], c: string, l: string) => void }, 'printMessages').mockImplementation((messages, _context, level) => {
      printed.push(`${level}:${String(messages[0])}`);
    });
    try {
      Logger.overrideLogger(nestLogLevels(served({ 'phi-3-mini': 'WARNING' }, ['phi-3-mini'])));
      const logger = new Logger('Test');
      logger.log('hello');
      logger.warn('careful');
      expect(printed).toEqual(['warn:careful']);
    } finally {
      spy.mockRestore();
      Logger.overrideLogger(['fatal', 'error', 'warn', 'log']);
    }
  });
});
