import 'reflect-metadata';
import { editConfigFile, expectConfigError, load, problemFor, replaceOnce, sharedCwd, shownPath, TempDirs } from './config-fixtures';

/**
 * model.lora_modules (name → path), max_loras, max_lora_rank, and the one rule that keeps an
 * adapter's requests the adapter's: no name (id, served name, alias, adapter) names two things.
 */
describe('model.lora_modules', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.cleanup());

  /** A copy of config/ with Mixtral's aliases line replaced by `model` lines of the test's own. */
  const mixtralWith = (lines: string, file = 'services/mixtral-8x7b.yaml', anchor = '  aliases: [mixtral]') => {
    const configDir = dirs.configCopy();
    const path = editConfigFile(configDir, file, replaceOnce(anchor, lines));
    return { configDir, source: shownPath(sharedCwd(), path) };
  };

  it('loads adapters and their limits', () => {
    const { configDir } = mixtralWith('  aliases: [mixtral]\n  lora_modules:\n    sql-lora: /opt/loras/sql\n    org/chat-lora: /opt/loras/chat\n  max_loras: 2\n  max_lora_rank: 64');
    const mixtral = load({}, { configDir }).model('mixtral-8x7b')!;
    expect(mixtral.model.lora_modules).toEqual({ 'sql-lora': '/opt/loras/sql', 'org/chat-lora': '/opt/loras/chat' });
    expect(mixtral.model.max_loras).toBe(2);
    expect(mixtral.model.max_lora_rank).toBe(64);
    // None by default.
    expect(load().model('mixtral-8x7b')!.model.lora_modules).toEqual({});
  });

  it.each([
    ['a list instead of a mapping', '  lora_modules: [a, b]', 'model.lora_modules', /mapping of adapter names to paths/],
    ['a name with a space', '  lora_modules:\n    "sql lora": /opt/l', 'model.lora_modules', /adapter name "sql lora"/],
    ['a name with =', '  lora_modules:\n    "a=b": /opt/l', 'model.lora_modules', /adapter name "a=b"/],
    ['an empty path', '  lora_modules:\n    sql-lora: ""', 'model.lora_modules', /path must be a non-empty string/],
    ['a path with whitespace', '  lora_modules:\n    sql-lora: /opt/my loras', 'model.lora_modules', /holds whitespace/],
    ['max_lora_rank 12 (not one of vLLM\'s ranks)', '  lora_modules:\n    sql-lora: /opt/l\n  max_lora_rank: 12', 'model.max_lora_rank', /one of vLLM's ranks/],
    ['max_loras 0', '  lora_modules:\n    sql-lora: /opt/l\n  max_loras: 0', 'model.max_loras', /positive integer/],
  ])('refuses %s', (_title, lines, key, rule) => {
    const { configDir, source } = mixtralWith(lines);
    expect(problemFor(expectConfigError(() => load({}, { configDir })), source, key).rule).toMatch(rule);
  });

  it('refuses an alias equal to an adapter name, of the same model or another one (an alias would turn it into a base-model request)', () => {
    const same = mixtralWith('  aliases: [mixtral, sql-lora]\n  lora_modules:\n    sql-lora: /opt/l');
    const problem = problemFor(expectConfigError(() => load({}, { configDir: same.configDir })), same.source, 'model.aliases');
    expect(problem.value).toBe('sql-lora');
    expect(problem.rule).toBe('name clash: "sql-lora" is an alias of mixtral-8x7b and a LoRA adapter of mixtral-8x7b; a request\'s model must name one thing');

    const configDir = dirs.configCopy();
    editConfigFile(configDir, 'services/mixtral-8x7b.yaml', replaceOnce('  aliases: [mixtral]', '  aliases: [mixtral]\n  lora_modules:\n    openchat: /opt/l'));
    const error = expectConfigError(() => load({}, { configDir }));
    const other = error.problems.find((p) => p.key === 'model.aliases' && p.value === 'openchat');
    expect(other?.rule).toMatch(/"openchat" is an alias of openchat-3.5 and a LoRA adapter of mixtral-8x7b/);
  });

  it('refuses an adapter named like another model, and a name two models claim', () => {
    const adapter = mixtralWith('  aliases: [mixtral]\n  lora_modules:\n    phi-3-mini: /opt/l');
    expect(expectConfigError(() => load({}, { configDir: adapter.configDir })).problems.map((p) => p.rule)).toContainEqual(expect.stringMatching(/"phi-3-mini" is the id of phi-3-mini and a LoRA adapter of mixtral-8x7b/));
    const alias = mixtralWith('  aliases: [mixtral, yi]');
    expect(expectConfigError(() => load({}, { configDir: alias.configDir })).problems.map((p) => p.rule)).toContainEqual(expect.stringMatching(/"yi" is an alias of (yi-34b|mixtral-8x7b) and an alias of (mixtral-8x7b|yi-34b)/));
  });
});
