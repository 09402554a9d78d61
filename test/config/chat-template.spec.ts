import 'reflect-metadata';
import { join } from 'node:path';
import { editConfigFile, expectConfigError, load, problemFor, REPO_CONFIG, replaceOnce, sharedCwd, shownPath, TempDirs } from './config-fixtures';

/**
 * engine.vllm.chat_template read as vLLM reads --chat-template (chat_utils.py load_chat_template):
 * a file (here absolute, or relative to the config folder, made absolute so a managed vLLM opens
 * the same file), or the template itself; a value that names no file and holds no "{", "}" or
 * newline is refused.
 */
describe('engine.vllm.chat_template', () => {
  const dirs = new TempDirs();
  afterAll(() => dirs.cleanup());
  const ANCHOR = '    chat_template: templates/mixtral-8x7b-tools.jinja';

  it("the shipped Mixtral template, relative to the config folder, becomes an absolute path", () => {
    expect(load().model('mixtral-8x7b')!.engine.vllm.chat_template).toBe(join(REPO_CONFIG, 'templates', 'mixtral-8x7b-tools.jinja'));
  });

  it('keeps an inline template as it is', () => {
    const configDir = dirs.configCopy();
    editConfigFile(configDir, 'services/mixtral-8x7b.yaml', replaceOnce(ANCHOR, `    chat_template: "{{ messages[0]['content'] }}"`));
    expect(load({}, { configDir }).model('mixtral-8x7b')!.engine.vllm.chat_template).toBe("{{ messages[0]['content'] }}");
  });

  it('refuses a path that names no file', () => {
    const configDir = dirs.configCopy();
    const path = editConfigFile(configDir, 'services/mixtral-8x7b.yaml', replaceOnce(ANCHOR, '    chat_template: templates/missing.jinja'));
    const problem = problemFor(expectConfigError(() => load({}, { configDir })), shownPath(sharedCwd(), path), 'engine.vllm.chat_template');
    expect(problem.rule).toMatch(/no such file/);
  });
});
