/** tools / tool_choice as vLLM 0.11's ChatCompletionRequest.check_tool_usage reads them (vllm/entrypoints/openai/protocol.py). */
import { SimulatorError, FieldProblem } from '../errors';
import { readToolRequest } from './tool-request';

const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }, { type: 'function', function: { name: 'g' } }];
const read = (body: Record<string, unknown>) => {
  const problems: FieldProblem[] = [];
  return { t: readToolRequest(body, problems), msgs: problems.map((p) => p.msg) };
};

describe('tool_choice', () => {
  it('tools without tool_choice mean "auto"; "none" and no tools mean text', () => {
    expect(read({ tools }).t).toEqual({ tools: [{ name: 'f', parameters: { type: 'object' } }, { name: 'g', parameters: null }], choice: 'auto' });
    expect(read({ tools, tool_choice: 'none' }).t).toBeNull();
    expect(read({}).t).toBeNull();
    expect(read({ tools: [] }).t).toBeNull();
  });

  it('"required" and a named function', () => {
    expect(read({ tools, tool_choice: 'required' }).t?.choice).toBe('required');
    expect(read({ tools, tool_choice: { type: 'function', function: { name: 'g' } } }).t?.choice).toEqual({ name: 'g' });
  });

  it('vLLM\'s validator messages', () => {
    expect(read({ tool_choice: 'auto' }).msgs).toEqual(['Value error, When using `tool_choice`, `tools` must be set.']);
    expect(read({ tools: null, tool_choice: 'required' }).msgs).toEqual(['Value error, When using `tool_choice`, `tools` must be set.']);
    expect(read({ tools, tool_choice: { type: 'function' } }).msgs[0]).toMatch(/^Value error, Expected field `function` in `tool_choice`\. Correct usage/);
    expect(read({ tools, tool_choice: { function: {} } }).msgs[0]).toMatch(/^Value error, Expected field `name` in `function` in `tool_choice`\.Correct usage/);
    expect(read({ tools, tool_choice: { function: { name: 'h' } } }).msgs).toEqual(['Value error, The tool specified in `tool_choice` does not match any of the specified `tools`']);
  });

  it('an unknown tool_choice string is the NotImplementedError vLLM raises (a 500)', () => {
    expect(() => read({ tools, tool_choice: 'any' })).toThrow(SimulatorError);
  });

  it('malformed tools are field errors, whatever the tool_choice', () => {
    expect(read({ tools: [{ type: 'function', function: {} }], tool_choice: 'required' }).msgs).toEqual(['Field required']);
    expect(read({ tools: 'f', tool_choice: 'required' }).msgs).toEqual(['Input should be a valid list']);
    // "none" skips check_tool_usage, not the field validation of tools (they are still rendered into the prompt).
    expect(read({ tools: [{ type: 'function', function: {} }], tool_choice: 'none' }).msgs).toEqual(['Field required']);
    expect(read({ tools, tool_choice: 'none' }).msgs).toEqual([]);
  });
});
