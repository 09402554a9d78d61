import 'reflect-metadata';
import { editConfigFile, load, replaceOnce, TempDirs } from './config-fixtures';

const GIB = 1024 ** 3;

describe('the memory allocation warning', () => {
  it('names the total allocated and the host memory when the models need more than the host has', () => {
    const config = load({}, { hostMemoryBytes: 16 * GIB });
    expect(config.warnings).toHaveLength(1);
    const [warning] = config.warnings;
    // 90 + 8 + 4 + 80 GB (DESIGN.md port map) on a 16 GB host.
    expect(warning).toContain('182 GB');
    expect(warning).toContain('16.0 GB');
    for (const part of ['mixtral-8x7b 90', 'openchat-3.5 8', 'phi-3-mini 4', 'yi-34b 80']) expect(warning).toContain(part);
  });

  it('is a warning, not an error: everything still loads', () => {
    const config = load({}, { hostMemoryBytes: 1 * GIB });
    expect(config.models).toHaveLength(4);
    expect(config.warnings).toHaveLength(1);
  });

  it('is absent when the host has enough memory', () => {
    expect(load({}, { hostMemoryBytes: 1024 * GIB }).warnings).toEqual([]);
    expect(load({}, { hostMemoryBytes: 182 * GIB }).warnings).toEqual([]);
  });

  it('appears just above the host memory', () => {
    expect(load({}, { hostMemoryBytes: 181.5 * GIB }).warnings).toHaveLength(1);
  });

  it('counts overridden limits', () => {
    const config = load({ MIXTRAL_8X7B_MEMORY_GB: '10', YI_34B_MEMORY_GB: '10' }, { hostMemoryBytes: 16 * GIB });
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain('32 GB');
    expect(load({ MIXTRAL_8X7B_MEMORY_GB: '1', YI_34B_MEMORY_GB: '1' }, { hostMemoryBytes: 16 * GIB }).warnings).toEqual([]);
  });

  it('does not count a disabled model', () => {
    const dirs = new TempDirs();
    try {
      const configDir = dirs.configCopy();
      editConfigFile(configDir, 'services/mixtral-8x7b.yaml', replaceOnce('  enabled: true', '  enabled: false'));
      const config = load({}, { configDir, hostMemoryBytes: 16 * GIB });
      expect(config.warnings[0]).toContain('92 GB');
      expect(config.warnings[0]).not.toContain('mixtral-8x7b');
      expect(load({}, { configDir, hostMemoryBytes: 100 * GIB }).warnings).toEqual([]);
    } finally {
      dirs.cleanup();
    }
  });

  it('counts only the models asked for', () => {
    const config = load({}, { only: ['phi-3-mini'], hostMemoryBytes: 2 * GIB });
    expect(config.warnings).toHaveLength(1);
    expect(config.warnings[0]).toContain('4 GB');
    expect(load({}, { only: ['phi-3-mini'], hostMemoryBytes: 16 * GIB }).warnings).toEqual([]);
  });
});
